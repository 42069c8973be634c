/** Whether `location` names a PostgreSQL database rather than a SQLite file (importing no driver). */
export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);
