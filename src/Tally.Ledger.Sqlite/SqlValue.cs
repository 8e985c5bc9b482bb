namespace Tally.Ledger.Sqlite;

/// <summary>
/// A value bound to a statement parameter: an integer, a text or NULL. A struct rather than
/// <see cref="object"/>, so binding a row of numbers allocates nothing.
/// </summary>
internal readonly struct SqlValue
{
    private SqlValue(long integer, string? text, bool isNull)
    {
        Integer = integer;
        Text = text;
        IsNull = isNull;
    }

    /// <summary>SQL NULL: a count the source did not report stays NULL, never 0.</summary>
    public static SqlValue Null => new(0, null, true);

    public long Integer { get; }

    /// <summary>The text, or null when the value is an integer or NULL.</summary>
    public string? Text { get; }

    public bool IsNull { get; }

    /// <summary>Whether binding <paramref name="other"/> would bind the same SQL value again.</summary>
    public bool IsSameAs(SqlValue other) =>
        IsNull == other.IsNull && Integer == other.Integer && string.Equals(Text, other.Text, StringComparison.Ordinal);

    public static implicit operator SqlValue(long value) => new(value, null, false);

    public static implicit operator SqlValue(long? value) => value is { } v ? new(v, null, false) : Null;

    public static implicit operator SqlValue(bool value) => new(value ? 1 : 0, null, false);

    public static implicit operator SqlValue(bool? value) => value is { } v ? new(v ? 1 : 0, null, false) : Null;

    public static implicit operator SqlValue(string? value) => value is null ? Null : new(0, value, false);
}
