using System.Net.Sockets;
using Npgsql;

namespace Tally.Ledger.Postgres;

/// <summary>
/// Which failures are worth retrying: the connection was lost or refused, the server is shutting
/// down or restarting, or the transaction lost a deadlock or serialisation conflict. Every write is
/// an idempotent upsert in one transaction, so running a failed batch again is always safe.
/// </summary>
internal static class TransientFailures
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient
            || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)   // connection exception
            || postgres.SqlState is "40001" or "40P01"                          // serialization failure, deadlock
                or "57P01" or "57P02" or "57P03"                                // admin/crash shutdown, cannot connect now
                or "53300",                                                     // too many connections
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or SocketException or EndOfStreamException,
        IOException or SocketException or EndOfStreamException => true,
        _ => false,
    };
}
