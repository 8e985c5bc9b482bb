using System.Text;

namespace Tally.Bench.Corpus;

/// <summary>
/// Pools of pre-escaped text lines (source code, command output, prose) built once from the
/// seed. Rows copy slices of these pools, so producing a gigabyte of plausible payload is a
/// memory copy rather than a gigabyte of string formatting.
/// </summary>
internal sealed class TextPools
{
    public TextPool Code { get; }
    public TextPool Log { get; }
    public TextPool Prose { get; }
    public TextPool Base64 { get; }

    private static readonly string[] Identifiers =
    [
        "user", "order", "invoice", "cache", "ledger", "request", "response", "token", "session", "config",
        "handler", "client", "reader", "writer", "buffer", "payload", "result", "options", "logger", "context",
        "account", "price", "model", "usage", "record", "cursor", "offset", "batch", "queue", "worker",
        "index", "schema", "migration", "query", "filter", "report", "summary", "metrics", "span", "event",
    ];

    private static readonly string[] Types =
    [
        "string", "int", "long", "bool", "Task", "List<string>", "Dictionary<string, int>", "IAsyncEnumerable<Row>",
        "ReadOnlySpan<byte>", "CancellationToken", "Promise<void>", "number", "Record<string, unknown>", "Result<T>",
    ];

    private static readonly string[] CodeTemplates =
    [
        "export async function {a}{B}({b}: {T}): Promise<{C}> {",
        "  const {a} = await this.{b}Service.get{C}({b}.id);",
        "  if (!{a}) throw new Error(\"{C} not found: \" + {b}.id);",
        "  return {a}.map(({b}) => ({b}.{c} ?? 0));",
        "}",
        "public sealed class {A}{B}Handler : IHandler<{C}Request>",
        "{",
        "    private readonly I{A}Repository _{a}s;",
        "    public async {T} Handle{B}Async({C}Request {b}, CancellationToken ct)",
        "        var {a} = await _{a}s.FindAsync({b}.Id, ct).ConfigureAwait(false);",
        "        if ({a} is null) { return Results.NotFound($\"{a} {{{b}.Id}}\"); }",
        "        _logger.LogInformation(\"Processed {A} {Count} in {Elapsed} ms\", {a}.Id, {b}s.Count, sw.ElapsedMilliseconds);",
        "    }",
        "def {a}_{b}(self, {c}: {T}) -> dict:",
        "    \"\"\"Return the {a} for the given {c}.\"\"\"",
        "    for {b} in self.{a}s:",
        "        if {b}.{c} == {c}:",
        "            return {\"{a}\": {b}, \"{c}\": {c}}",
        "import { {A}{B}, {C}Options } from \"../{a}/{b}\";",
        "using Tally.{A}.{B};",
        "// TODO: handle the {a} {b} when the {c} is missing",
        "  it(\"{a}s the {b} when {c} is empty\", async () => {",
        "    expect(await {a}{B}([])).toEqual({ {c}: 0 });",
        "  });",
        "SELECT {a}_id, SUM({b}) AS {c}_total FROM {a}s WHERE {c} > @since GROUP BY {a}_id;",
        "    \"{a}\": { \"{b}\": \"{c}\", \"enabled\": true, \"max\": 42 },",
        "",
        "\tcase {A}{B}.{C}:\t// tab-indented",
        "        return string.Join(\", \", {a}s.Select(x => x.{C}));",
    ];

    private static readonly string[] LogTemplates =
    [
        " PASS  src/{a}/{b}.test.ts ({n} ms)",
        " FAIL  src/{a}/{b}.spec.ts",
        "  ● {A} › {b}s the {c} when empty",
        "    Expected: {n}",
        "    Received: undefined",
        "\u001b[32m✓\u001b[39m {a} {b} ({n}ms)",
        "\u001b[31m✗\u001b[39m {a} should {b} the {c}",
        "src/{A}/{B}.cs({n},17): error CS1002: ; expected [/home/dev/src/{a}/{A}.csproj]",
        "src/{A}/{B}.cs({n},9): warning CA1822: Member '{C}' does not access instance data [/home/dev/src/{a}/{A}.csproj]",
        "  {A}.{B} -> /home/dev/src/{a}/bin/Debug/net10.0/{A}.{B}.dll",
        "Build succeeded.",
        "    {n} Warning(s)",
        "-rw-r--r--  1 dev  staff  {n} Nov 12 10:4{d} {b}.ts",
        "drwxr-xr-x  {d} dev  staff   {n} Nov 12 09:1{d} {a}",
        "M  src/{a}/{b}.ts",
        "?? src/{a}/{c}.test.ts",
        "commit {h}",
        "Author: Dev <dev@example.com>",
        "    fix({a}): handle empty {b} in {c}",
        "npm warn deprecated {a}@{d}.{d}.{d}: use {b} instead",
        "added {n} packages, and audited {n} packages in {d}s",
        "{a}.py:{n}: in {b}_{c}",
        "E   AssertionError: assert {n} == {d}",
        "========== {d} failed, {n} passed in {d}.{d}{d}s ==========",
        "Tests: {d} failed, {n} passed, {n} total — café déjà vu 🚀",
        "  at {A}.{B} (/home/dev/src/{a}/dist/{b}.js:{n}:{d})",
        "Compiling {a} v0.{d}.{d} (/home/dev/src/{a})",
        "    Finished `release` profile [optimized] target(s) in {d}.{d}{d}s",
    ];

    private static readonly string[] Words =
    [
        "the", "a", "we", "should", "check", "why", "this", "test", "fails", "after", "moving", "the", "reader",
        "to", "pooled", "buffers", "I'll", "look", "at", "file", "and", "then", "update", "handler", "so", "that",
        "it", "returns", "null", "instead", "of", "zero", "when", "usage", "is", "missing", "Let", "me", "run",
        "build", "again", "fix", "warning", "about", "nullable", "reference", "types", "cache", "hit", "ratio",
        "looks", "wrong", "for", "sessions", "resumed", "from", "an", "earlier", "one", "can", "you", "refactor",
        "query", "into", "smaller", "methods", "add", "tests", "cover", "edge", "case", "where", "input", "empty",
        "great", "now", "all", "pass", "summary", "of", "changes", "made", "in", "commit", "`dotnet test`", "\"quoted\"",
    ];

    public TextPools(ulong seed)
    {
        var rng = new Rng(seed, 0x706F6F6C);
        Code = Build(rng, 6000, () => Fill(rng, CodeTemplates[rng.Next(CodeTemplates.Length)]));
        Log = Build(rng, 6000, () => Fill(rng, LogTemplates[rng.Next(LogTemplates.Length)]));
        Prose = Build(rng, 4000, () => Sentence(rng));
        const string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        Base64 = Build(rng, 256, () =>
        {
            var sb = new StringBuilder(64);
            for (int i = 0; i < 64; i++)
            {
                sb.Append(b64[rng.Next(64)]);
            }
            return sb.ToString();
        });
    }

    private static TextPool Build(Rng rng, int count, Func<string> make)
    {
        var line = new JsonLine(1 << 20);
        var starts = new int[count + 1];
        for (int i = 0; i < count; i++)
        {
            starts[i] = line.Length;
            AppendEscaped(line, make());
        }
        starts[count] = line.Length;
        return new TextPool(line.Span.ToArray(), starts);
    }

    private static string Fill(Rng rng, string template)
    {
        var sb = new StringBuilder(template.Length + 32);
        for (int i = 0; i < template.Length; i++)
        {
            char ch = template[i];
            if (ch == '{' && i + 2 < template.Length && template[i + 2] == '}')
            {
                char k = template[i + 1];
                switch (k)
                {
                    case 'a': case 'b': case 'c':
                        sb.Append(Identifiers[rng.Next(Identifiers.Length)]);
                        i += 2;
                        continue;
                    case 'A': case 'B': case 'C':
                        string id = Identifiers[rng.Next(Identifiers.Length)];
                        sb.Append(char.ToUpperInvariant(id[0])).Append(id, 1, id.Length - 1);
                        i += 2;
                        continue;
                    case 'T':
                        sb.Append(Types[rng.Next(Types.Length)]);
                        i += 2;
                        continue;
                    case 'n':
                        sb.Append(rng.Range(1, 4999));
                        i += 2;
                        continue;
                    case 'd':
                        sb.Append(rng.Range(0, 9));
                        i += 2;
                        continue;
                    case 'h':
                        sb.Append(JsonLine.NewHex(rng, 40));
                        i += 2;
                        continue;
                }
            }
            sb.Append(ch);
        }
        return sb.ToString();
    }

    private static string Sentence(Rng rng)
    {
        int n = rng.Range(6, 22);
        var sb = new StringBuilder(n * 7);
        for (int i = 0; i < n; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }
            sb.Append(Words[rng.Next(Words.Length)]);
        }
        sb.Append(rng.Next(8) == 0 ? "?" : ".");
        return sb.ToString();
    }

    public static string Title(Rng rng)
    {
        int n = rng.Range(3, 7);
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            string w = Words[rng.Next(Words.Length)].Trim('"', '`');
            if (i == 0)
            {
                w = char.ToUpperInvariant(w[0]) + w[1..];
            }
            sb.Append(i == 0 ? "" : " ").Append(w);
        }
        return sb.ToString();
    }

    /// <summary>Appends <paramref name="s"/> as the inside of a JSON string.</summary>
    public static void AppendEscaped(JsonLine line, string s)
    {
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune r in s.EnumerateRunes())
        {
            int v = r.Value;
            switch (v)
            {
                case '"': line.Raw("\\\""u8); break;
                case '\\': line.Raw("\\\\"u8); break;
                case '\n': line.Raw("\\n"u8); break;
                case '\t': line.Raw("\\t"u8); break;
                case '\r': line.Raw("\\r"u8); break;
                default:
                    if (v < 0x20)
                    {
                        line.Raw("\\u00"u8).Byte((byte)"0123456789abcdef"[v >> 4]).Byte((byte)"0123456789abcdef"[v & 0xF]);
                    }
                    else if (v < 0x80)
                    {
                        line.Byte((byte)v);
                    }
                    else
                    {
                        int n = r.EncodeToUtf8(utf8);
                        line.Raw(utf8[..n]);
                    }
                    break;
            }
        }
    }
}

/// <summary>Pre-escaped lines stored back to back.</summary>
internal sealed class TextPool(byte[] data, int[] starts)
{
    public int Count => starts.Length - 1;

    public ReadOnlySpan<byte> Line(int i)
    {
        i %= Count;
        return data.AsSpan(starts[i], starts[i + 1] - starts[i]);
    }

    /// <summary>
    /// Appends whole lines, each followed by an escaped newline, until at least
    /// <paramref name="bytes"/> were written. With <paramref name="numbered"/> each line gets
    /// the <c>cat -n</c> prefix the Read tool uses. Returns the number of lines.
    /// </summary>
    public int Append(JsonLine line, int first, int bytes, bool numbered = false, int firstNumber = 1)
    {
        int start = line.Length;
        int n = 0;
        while (line.Length - start < bytes)
        {
            if (numbered)
            {
                line.Padded(firstNumber + n, 6).Raw("→"u8);
            }
            line.Raw(Line(first + n)).Raw("\\n"u8);
            n++;
        }
        return n;
    }

    /// <summary>Appends lines joined by spaces (prose) until at least <paramref name="bytes"/>.</summary>
    public void AppendWords(JsonLine line, int first, int bytes, bool joinWithNewline = false)
    {
        int start = line.Length;
        int n = 0;
        while (line.Length - start < bytes)
        {
            if (n > 0)
            {
                line.Raw(joinWithNewline && n % 4 == 0 ? "\\n\\n"u8 : " "u8);
            }
            line.Raw(Line(first + n));
            n++;
        }
    }
}
