namespace Tally.Bench.Corpus;

/// <summary>One main session file, with the subagent transcripts its Task calls will write.</summary>
internal sealed class SessionPlan
{
    public required string SessionId { get; init; }
    public required long TargetBytes { get; init; }
    public required long StartMs { get; init; }
    /// <summary>An older Claude Code that writes no 5m/1h cache split and no subagent files.</summary>
    public required bool Legacy { get; init; }
    public List<long> SubagentTargets { get; } = [];
}

internal sealed class ProjectPlan
{
    public required int Index { get; init; }
    public required string Cwd { get; init; }
    public required ulong Seed { get; init; }
    public List<SessionPlan> Sessions { get; } = [];

    /// <summary>The folder name Claude Code derives from the cwd: '/' and '.' become '-'.</summary>
    public string Slug => Cwd.Replace('/', '-').Replace('.', '-');

    public long TotalTarget => Sessions.Sum(s => s.TargetBytes + s.SubagentTargets.Sum());
}

/// <summary>
/// Decides how many files of which sizes, in which projects. File sizes follow the
/// real-world profile ccusage's large-fixture generator was built from (3,142 files,
/// 1,239 MiB, median 105 KB, p90 654 KB, p99 5.4 MB, max 87 MB), scaled to the requested size.
/// </summary>
internal static class CorpusPlan
{
    private const double ProfileFiles = 3142;
    private const double ProfileBytes = 1239.0 * 1024 * 1024;
    private const double ProfileMax = 87e6;

    // Quantile points (probability, bytes) of the profile; log-linear in between.
    private static readonly (double Q, double Bytes)[] Quantiles =
    [
        (0.0, 1.2e3), (0.1, 9e3), (0.25, 32e3), (0.5, 105e3), (0.75, 270e3),
        (0.9, 654e3), (0.95, 1.2e6), (0.99, 5.4e6), (0.998, 12e6), (1.0, ProfileMax),
    ];

    public static readonly string[] ProjectNames =
    [
        "api", "web", "tally", "infra", "payments-service", "mobile-app", "data.pipeline", "docs", "cli-tools",
        "ml-experiments", "auth", "search", "billing", "dotfiles", "blog", "scheduler", "gateway", "notebooks",
        "sdk-typescript", "sdk.python", "terraform", "k8s-manifests", "design-system", "analytics", "chat-bot",
        "etl", "legacy-monolith", "game-jam", "homelab", "rust-playground", "edge-worker", "ledger", "report-gen",
        "crawler", "image-service", "queue-worker", "admin-ui", "feature-flags", "observability", "backup-tool",
    ];

    private static double Quantile(double q)
    {
        for (int i = 1; i < Quantiles.Length; i++)
        {
            if (q <= Quantiles[i].Q)
            {
                var (q0, s0) = Quantiles[i - 1];
                var (q1, s1) = Quantiles[i];
                double t = (q - q0) / (q1 - q0);
                return s0 * Math.Pow(s1 / s0, t);
            }
        }
        return ProfileMax;
    }

    /// <summary>Target sizes of every file, largest last, summing to <paramref name="totalBytes"/>.</summary>
    public static long[] FileSizes(long totalBytes)
    {
        int n = (int)Math.Max(4, Math.Round(ProfileFiles * totalBytes / ProfileBytes));
        var sizes = new double[n];
        for (int i = 0; i < n; i++)
        {
            sizes[i] = Quantile((i + 0.5) / n);
        }
        // One very large session file, as real corpora have; smaller corpora get a smaller one.
        sizes[n - 1] = Math.Max(sizes[n - 2], ProfileMax * Math.Sqrt(Math.Min(1.0, n / ProfileFiles)));
        double scale = totalBytes / sizes.Sum();
        return sizes.Select(s => Math.Max(600, (long)(s * scale))).ToArray();
    }

    public static List<ProjectPlan> Build(long totalBytes, ulong seed)
    {
        var rng = new Rng(seed, 0x706C616E);
        long[] sizes = FileSizes(totalBytes);
        int n = sizes.Length;

        // Shuffle so that project and session order say nothing about size.
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        int projectCount = Math.Clamp((int)Math.Round(n / 70.0), 2, ProjectNames.Length);
        var projects = new List<ProjectPlan>(projectCount);
        string[] roots = ["/home/dev/src/", "/home/dev/work/", "/home/dev/src/github.com/acme/", "/home/dev/"];
        for (int p = 0; p < projectCount; p++)
        {
            projects.Add(new ProjectPlan
            {
                Index = p,
                Cwd = roots[rng.Next(roots.Length)] + ProjectNames[p],
                Seed = rng.NextU64(),
            });
        }
        var weights = Enumerable.Range(0, projectCount).Select(j => (int)(1000 / Math.Pow(j + 1, 0.8))).ToArray();

        const long Day = 86_400_000L;
        long windowStart = new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var subagentFiles = new List<(int Project, long Size)>();
        foreach (int i in order)
        {
            long size = sizes[i];
            int project = rng.Pick(weights);
            // About a sixth of the mid-sized files are subagent transcripts of some session.
            if (size is > 6_000 and < 3_000_000 && rng.Chance(0.17))
            {
                subagentFiles.Add((project, size));
                continue;
            }
            projects[project].Sessions.Add(new SessionPlan
            {
                SessionId = JsonLine.NewUuid(rng),
                TargetBytes = size,
                StartMs = windowStart + rng.RangeLong(0, 58 * Day),
                Legacy = rng.Chance(0.08),
            });
        }

        foreach (var (project, size) in subagentFiles)
        {
            var hosts = projects[project].Sessions.Where(s => !s.Legacy && s.TargetBytes >= 24_000).ToList();
            if (hosts.Count == 0)
            {
                projects[project].Sessions.Add(new SessionPlan
                {
                    SessionId = JsonLine.NewUuid(rng),
                    TargetBytes = size,
                    StartMs = windowStart + rng.RangeLong(0, 58 * Day),
                    Legacy = false,
                });
                continue;
            }
            hosts[rng.Next(hosts.Count)].SubagentTargets.Add(size);
        }

        foreach (var p in projects)
        {
            p.Sessions.Sort((a, b) => a.StartMs.CompareTo(b.StartMs));
        }
        return projects;
    }
}
