using Microsoft.Data.Sqlite;
using System.Text;
using SQLitePCL;

namespace Tally.Ledger.Sqlite;

/// <summary>
/// A statement compiled once and run many times with fresh values, on the connection's native
/// handle. Bulk ingest goes through here rather than <see cref="SqliteCommand"/> because the
/// command looks up every parameter by name on every execution, which costs about as much as the
/// insert itself; binding by position halves the time per row.
/// </summary>
/// <remarks>Runs inside whatever transaction the connection has open; not thread-safe.</remarks>
internal sealed class PreparedStatement : IDisposable
{
    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _statement;
    private readonly SqlValue?[] _bound;
    private byte[] _utf8 = new byte[256];

    public PreparedStatement(SqliteConnection connection, string sql)
    {
        _database = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var rc = raw.sqlite3_prepare_v3(_database, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _database);
        _bound = new SqlValue?[raw.sqlite3_bind_parameter_count(_statement) + 1];
    }

    /// <summary>Binds parameter <paramref name="index"/> (1-based, in order of appearance).</summary>
    public void Bind(int index, SqlValue value)
    {
        // SQLite keeps bindings across executions, and consecutive rows repeat most values
        // (source, model, project, NULLs), so only what changed crosses into native code.
        if (_bound[index] is { } previous && previous.IsSameAs(value))
        {
            return;
        }

        var rc = value.IsNull ? raw.sqlite3_bind_null(_statement, index)
            : value.Text is { } text ? BindText(index, text)
            : raw.sqlite3_bind_int64(_statement, index, value.Integer);
        SqliteException.ThrowExceptionForRC(rc, _database);
        _bound[index] = value;
    }

    /// <summary>Runs the statement to completion with the values bound, then readies it for the next row.</summary>
    /// <exception cref="SqliteException">SQLite refused the row (a constraint, a full disk, ...).</exception>
    public void Execute()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc != raw.SQLITE_DONE)
        {
            // Read the message before reset, which would report the error again in its own name.
            try
            {
                SqliteException.ThrowExceptionForRC(rc, _database);
            }
            finally
            {
                raw.sqlite3_reset(_statement);
            }
        }

        raw.sqlite3_reset(_statement);
    }

    /// <summary>The position of a named parameter (<c>$since</c>), for <see cref="Bind"/>.</summary>
    public int ParameterIndex(string name) => raw.sqlite3_bind_parameter_index(_statement, name);

    /// <summary>Steps a query: true while there is a row to read with the column accessors.</summary>
    /// <exception cref="SqliteException">SQLite failed the query.</exception>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _database);
        }

        return false;
    }

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    public long? NullableInt64(int column) => IsNull(column) ? null : Int64(column);

    /// <summary>A text column's UTF-8 bytes, valid until the next step.</summary>
    public ReadOnlySpan<byte> Utf8(int column) => raw.sqlite3_column_blob(_statement, column);

    public void Dispose() => _statement.Dispose();

    private int BindText(int index, string text)
    {
        // Encoding into a reused buffer spares the string overload's allocation per value;
        // SQLite copies the bytes (SQLITE_TRANSIENT), so the buffer is free again at once.
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_utf8.Length < length)
        {
            _utf8 = new byte[Math.Max(length, _utf8.Length * 2)];
        }

        var written = Encoding.UTF8.GetBytes(text, _utf8);
        return raw.sqlite3_bind_text(_statement, index, _utf8.AsSpan(0, written));
    }
}
