using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Tally.Ledger.Sqlite;

/// <summary>
/// A statement compiled once and run many times with fresh values, on the connection's native
/// handle. Bulk ingest goes through here rather than <see cref="SqliteCommand"/> because the
/// command looks up every parameter by name on every execution, which costs about as much as the
/// insert itself; binding by position halves the time per row.
/// </summary>
/// <remarks>
/// <para>Runs inside whatever transaction the connection has open; not thread-safe.</para>
/// <para>Steps, binds and column reads, called for every value of every row an ingest writes or a
/// report reads, go straight to the native library on the statement's raw handle
/// (<see cref="NativeStatement"/>): through SQLitePCL each call also counts a reference on the
/// statement's safe handle up and down, which cost as much as the read itself.</para>
/// </remarks>
internal sealed class PreparedStatement : IDisposable
{
    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _statement;
    // The statement's native pointer, valid until Dispose (which only this class calls).
    private readonly nint _handle;
    private readonly SqlValue?[] _bound;
    private byte[] _utf8 = new byte[256];

    public PreparedStatement(SqliteConnection connection, string sql)
    {
        _database = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var rc = raw.sqlite3_prepare_v3(_database, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _database);
        _handle = _statement.DangerousGetHandle();
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

        var rc = value.IsNull ? NativeStatement.sqlite3_bind_null(_handle, index)
            : value.Text is { } text ? BindText(index, text)
            : NativeStatement.sqlite3_bind_int64(_handle, index, value.Integer);
        SqliteException.ThrowExceptionForRC(rc, _database);
        _bound[index] = value;
    }

    /// <summary>Runs the statement to completion with the values bound, then readies it for the next row.</summary>
    /// <exception cref="SqliteException">SQLite refused the row (a constraint, a full disk, ...).</exception>
    public void Execute()
    {
        var rc = NativeStatement.sqlite3_step(_handle);
        if (rc != raw.SQLITE_DONE)
        {
            // Read the message before reset, which would report the error again in its own name.
            try
            {
                SqliteException.ThrowExceptionForRC(rc, _database);
            }
            finally
            {
                _ = NativeStatement.sqlite3_reset(_handle); // it repeats the step's error, just reported
            }
        }

        _ = NativeStatement.sqlite3_reset(_handle); // after a step that succeeded, it cannot fail
    }

    /// <summary>The position of a named parameter (<c>$since</c>), for <see cref="Bind"/>.</summary>
    public int ParameterIndex(string name) => raw.sqlite3_bind_parameter_index(_statement, name);

    /// <summary>Steps a query: true while there is a row to read with the column accessors.</summary>
    /// <exception cref="SqliteException">SQLite failed the query.</exception>
    public bool Step()
    {
        var rc = NativeStatement.sqlite3_step(_handle);
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

    public bool IsNull(int column) => NativeStatement.sqlite3_column_type(_handle, column) == raw.SQLITE_NULL;

    public long Int64(int column) => NativeStatement.sqlite3_column_int64(_handle, column);

    public long? NullableInt64(int column) => IsNull(column) ? null : Int64(column);

    /// <summary>A text column's UTF-8 bytes, valid until the next step.</summary>
    public unsafe ReadOnlySpan<byte> Utf8(int column)
    {
        // The pointer first, then the length: the order SQLite documents as safe.
        var bytes = NativeStatement.sqlite3_column_blob(_handle, column);
        return bytes == 0 ? [] : new ReadOnlySpan<byte>((void*)bytes, NativeStatement.sqlite3_column_bytes(_handle, column));
    }

    public void Dispose() => _statement.Dispose();

    private unsafe int BindText(int index, string text)
    {
        // Encoding into a reused buffer spares the string overload's allocation per value;
        // SQLite copies the bytes (SQLITE_TRANSIENT), so the buffer is free again at once.
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_utf8.Length < length)
        {
            _utf8 = new byte[Math.Max(length, _utf8.Length * 2)];
        }

        var written = Encoding.UTF8.GetBytes(text, _utf8);
        fixed (byte* bytes = _utf8)
        {
            return NativeStatement.sqlite3_bind_text(_handle, index, bytes, written, NativeStatement.Transient);
        }
    }
}

/// <summary>
/// The statement calls of SQLite's C API that run per row and per value, bound to the same native
/// library that SQLitePCL loads (<c>e_sqlite3</c>) but on a raw statement pointer. The column reads
/// and binds neither block nor call back into .NET, so they skip the switch to preemptive mode
/// too; a step may wait for the disk or a lock, so it does not.
/// </summary>
internal static unsafe partial class NativeStatement
{
    private const string Library = "e_sqlite3";

    /// <summary><c>SQLITE_TRANSIENT</c>: SQLite copies bound bytes before the call returns.</summary>
    public static readonly nint Transient = -1;

    [LibraryImport(Library)]
    public static partial int sqlite3_step(nint statement);

    [LibraryImport(Library)]
    public static partial int sqlite3_reset(nint statement);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_bind_null(nint statement, int index);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_bind_int64(nint statement, int index, long value);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_bind_text(nint statement, int index, byte* text, int length, nint destructor);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_column_type(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial long sqlite3_column_int64(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial nint sqlite3_column_blob(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_column_bytes(nint statement, int column);
}
