#ifndef CSQLITECONFIG_H
#define CSQLITECONFIG_H

/// Process-wide SQLite settings that only `sqlite3_config` can change. It is a
/// C variadic function, which Swift cannot call, hence this one C file.

/// Turns off SQLite's memory statistics. Returns an SQLite result code:
/// SQLITE_MISUSE when SQLite was already initialized (a connection was opened
/// before), in which case nothing changed.
int attributiond_sqlite_disable_memory_statistics(void);

#endif
