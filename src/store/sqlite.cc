#include "store/sqlite.h"

namespace ringcast::sqlite {

int64_t Db::pragma_int(const char* sql, int64_t fallback) const {
    Statement s;
    if (s.prepare(*this, sql) != SQLITE_OK) return fallback;
    int64_t v = s.step() == SQLITE_ROW ? s.column_int(0) : fallback;
    s.done();
    return v;
}

int Statement::prepare(const Db& db, std::string_view sql) {
    sqlite3_finalize(_stmt);
    _stmt = nullptr;
    // PERSISTENT: these live as long as the store, prepared once.
    return sqlite3_prepare_v3(db.get(), sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &_stmt, nullptr);
}

}  // namespace ringcast::sqlite
