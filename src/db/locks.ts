// PostgreSQL advisory-lock ids of the service, in one place so that no two uses collide.
/** Held while migrations run: processes starting at once migrate one after the other. */
export const MIGRATION_LOCK = 7262001;
/** Held by the classification sweep: one sweep claims threads at a time, across every worker. */
export const SWEEP_LOCK = 7262002;
/**
 * With the project's id hashed as the second key (the two-key form, apart from the ids above): held while a
 * project's word statistics are recomputed, so that two runs of it take turns.
 */
export const SEARCH_STATS_LOCK = 7262003;
