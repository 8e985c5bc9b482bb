using Tally.Ingest;

namespace Tally.Ledger.Postgres.Tests;

/// <summary>Reading team-ledger locations, and keeping passwords out of everything printable. No server needed.</summary>
public sealed class PostgresLocationTests
{
    [Theory]
    [InlineData("postgres://ann@db.example:6543/tally", "postgres://ann@db.example:6543/tally")]
    [InlineData("postgresql://ann:s3cr%40t@db.example/tally", "postgres://ann@db.example:5432/tally")]
    [InlineData("postgres://ann:s3cret@db.example:5433/tally?sslmode=require&application_name=ci", "postgres://ann@db.example:5433/tally")]
    [InlineData("Host=db.example;Port=5434;Database=tally;Username=ann;Password=s3cret", "postgres://ann@db.example:5434/tally")]
    public void Parse_GivesARedactedLocationWithoutThePassword(string location, string redacted)
    {
        var parsed = PostgresLocation.Parse(location);

        Assert.Equal(redacted, parsed.Redacted);
        Assert.Equal(redacted, parsed.ToString());
        Assert.DoesNotContain("s3cr", parsed.Redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Url_CarriesUserPasswordDatabaseAndOptionsToNpgsql()
    {
        var parsed = new Npgsql.NpgsqlConnectionStringBuilder(
            PostgresLocation.Parse("postgres://ann:s3cr%40t@db.example:5433/team%20ledger?sslmode=require&application_name=ci").ConnectionString);

        Assert.Equal(("db.example", 5433, "ann", "s3cr@t", "team ledger"), (parsed.Host, parsed.Port, parsed.Username, parsed.Password, parsed.Database));
        Assert.Equal(Npgsql.SslMode.Require, parsed.SslMode);
        Assert.Equal("ci", parsed.ApplicationName);
    }

    [Theory]
    [InlineData("postgres://ann:s3cret@db.example/tally?no_such_option=1")]
    [InlineData("Host=db.example;Password=s3cret;Bogus Keyword=1")]
    public void Parse_BadOption_FailsWithoutQuotingThePassword(string location)
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresLocation.Parse(location));

        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres://db/tally", true)]
    [InlineData("POSTGRESQL://db/tally", true)]
    [InlineData("Host=db;Database=tally", true)]
    [InlineData("server=db;database=tally", true)]
    [InlineData("/home/me/.tally/ledger.db", false)]
    [InlineData("ledger=weird.db", false)]
    public void IsPostgres_RecognisesUrlsAndConnectionStrings(string location, bool expected)
    {
        Assert.Equal(expected, PostgresLocation.IsPostgres(location));
    }

    [Fact]
    public void LedgerLocation_PrefersTheOptionThenTheVariableThenConfigJsonThenTheDefaultFile()
    {
        var home = Directory.CreateTempSubdirectory("tally-location-").FullName;
        try
        {
            var tallyHome = Path.Combine(home, ".tally");
            Directory.CreateDirectory(tallyHome);
            AgentEnvironment Environment(params (string, string)[] variables) =>
                new(home, variables.ToDictionary(v => v.Item1, v => v.Item2));
            var withHome = Environment(("TALLY_HOME", tallyHome));

            Assert.Equal(Path.Combine(tallyHome, "ledger.db"), LedgerLocation.Resolve(null, withHome).SqlitePath);

            File.WriteAllText(Path.Combine(tallyHome, "config.json"), """{ "ledger": "postgres://team:s3cret@db.example/tally" }""");
            var configured = LedgerLocation.Resolve(null, withHome);
            Assert.True(configured.IsPostgres);
            Assert.Equal("postgres://team@db.example:5432/tally", configured.Display);

            var variable = LedgerLocation.Resolve(null, Environment(("TALLY_HOME", tallyHome), ("TALLY_LEDGER", "~/other.db")));
            Assert.Equal(Path.Combine(home, "other.db"), variable.SqlitePath);

            var option = LedgerLocation.Resolve("Host=db2;Database=t;Username=me;Password=s3cret", Environment(("TALLY_HOME", tallyHome), ("TALLY_LEDGER", "~/other.db")));
            Assert.Equal("postgres://me@db2:5432/t", option.Display);

            File.WriteAllText(Path.Combine(tallyHome, "config.json"), "{ not json");
            var error = Assert.Throws<ArgumentException>(() => LedgerLocation.Resolve(null, withHome));
            Assert.Contains("config.json", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
