using Tally.Ingest;
using Tally.Sources.OpenCode;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.OpenCode;

/// <summary>
/// The storage layout's file access (direct libc calls on Linux, the managed API elsewhere) must
/// read, list and describe files exactly as the managed API does.
/// </summary>
public sealed class OpenCodeStorageFilesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(64 * 1024)] // exactly the buffer: one more read finds the end
    [InlineData(200 * 1024 + 3)] // grows the buffer
    [InlineData(3 * 1024 * 1024)] // larger than the buffer a thread keeps
    public void ReadWhole_GivesTheWholeFile_WhateverItsSize(int length)
    {
        using var dir = new TestDirectory();
        var path = Path.Combine(dir.Path, "message.json");
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        var small = dir.WriteFile("small.json", "{}");
        var files = OpenCodeStorageFiles.ForThisThread;

        Assert.Equal(bytes, files.ReadWhole(path).ToArray());
        Assert.Equal("{}"u8.ToArray(), files.ReadWhole(small).ToArray()); // and the next file still reads right
    }

    [Fact]
    public void ReadWhole_MissingFileOrFolder_ThrowsAsFileOpenHandleDoes()
    {
        using var dir = new TestDirectory();
        var missing = Path.Combine(dir.Path, "gone.json");
        var folder = dir.CreateDirectory("folder.json");
        var files = OpenCodeStorageFiles.ForThisThread;

        Assert.Equal(Thrown(() => File.OpenHandle(missing)), Thrown(() => files.ReadWhole(missing)));
        Assert.Equal(Thrown(() => File.OpenHandle(folder)), Thrown(() => files.ReadWhole(folder)));
    }

    [Fact]
    public void OpenFolder_ListsWhatDirectoryEnumerateFilesLists_InOrdinalOrder_AndReadsEach()
    {
        using var dir = new TestDirectory();
        var folder = dir.CreateDirectory("part/msg_1");
        foreach (var name in (string[])["prt_b.json", "prt_a.json", "prt_C.json", ".hidden.json", "notes.txt", "upper.JSON", "prt_a.json.bak"])
        {
            dir.WriteFile("part/msg_1/" + name, "{\"name\":\"" + name + "\"}");
        }

        dir.CreateDirectory("part/msg_1/folder.json");
        File.CreateSymbolicLink(Path.Combine(folder, "link.json"), "prt_a.json");
        File.CreateSymbolicLink(Path.Combine(folder, "dangling.json"), "nowhere.json");
        var expected = Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal).ToList();
        var files = OpenCodeStorageFiles.ForThisThread;

        var (paths, contents) = List(files, Path.Combine(dir.Path, "part"), "msg_1");

        Assert.Equal(expected, paths);
        Assert.Equal(expected.Select(ReadOrNull), contents);
    }

    [Fact]
    public void OpenFolder_NonAsciiNames_AreListedAndSortedAsTheManagedApiDoes()
    {
        using var dir = new TestDirectory();
        var folder = dir.CreateDirectory("part/msg_1");
        foreach (var name in (string[])["prt_\U0001F600.json", "prt_\uFF21.json", "prt_é.json", "prt_a.json"])
        {
            dir.WriteFile("part/msg_1/" + name, "{}");
        }

        var (paths, _) = List(OpenCodeStorageFiles.ForThisThread, Path.Combine(dir.Path, "part"), "msg_1");

        Assert.Equal(Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal), paths);
    }

    [Fact]
    public void OpenFolder_MissingFolderOrAFile_HoldsNothing()
    {
        using var dir = new TestDirectory();
        dir.WriteFile("part/msg_file", "not a folder");
        var files = OpenCodeStorageFiles.ForThisThread;

        Assert.Empty(List(files, Path.Combine(dir.Path, "part"), "msg_missing").Paths);
        Assert.Empty(List(files, Path.Combine(dir.Path, "part"), "msg_file").Paths);
    }

    [Fact]
    public void ReadFile_PartDeletedAfterTheListing_IsNull()
    {
        using var dir = new TestDirectory();
        var gone = dir.WriteFile("part/msg_1/prt_a.json", "{}");
        dir.WriteFile("part/msg_1/prt_b.json", "{\"b\":1}");
        var files = OpenCodeStorageFiles.ForThisThread;

        files.OpenFolder(Path.Combine(dir.Path, "part"), "msg_1");
        try
        {
            File.Delete(gone);

            Assert.Equal(2, files.Count);
            Assert.Null(files.ReadFile(0));
            Assert.Equal("{\"b\":1}"u8.ToArray(), files.ReadFile(1)!.Value.ToArray());
        }
        finally
        {
            files.CloseFolder();
        }
    }

    [Fact]
    public void TryFindFiles_DescribesEachFileAsLogFileFromDoes()
    {
        using var dir = new TestDirectory();
        var folder = dir.CreateDirectory("message/ses_1");
        dir.WriteFile("message/ses_1/msg_b.json", "{\"id\":\"msg_b\"}");
        dir.WriteFile("message/ses_1/msg_a.json", "");
        dir.WriteFile("message/ses_1/.msg_hidden.json", "{}");
        dir.WriteFile("message/ses_1/msg_é.json", "{}");
        dir.WriteFile("message/ses_1/notes.txt", "");
        dir.CreateDirectory("message/ses_1/msg_folder.json");
        File.CreateSymbolicLink(Path.Combine(folder, "msg_link.json"), "msg_b.json");
        File.CreateSymbolicLink(Path.Combine(folder, "msg_dangling.json"), "nowhere.json");
        File.SetLastWriteTimeUtc(Path.Combine(folder, "msg_b.json"), new DateTime(2025, 10, 1, 12, 0, 0, 123, DateTimeKind.Utc).AddTicks(4567));
        var expected = Directory.EnumerateFiles(folder, "*.json").Select(p => LogFile.From(new FileInfo(p))).OrderBy(f => f.Path, StringComparer.Ordinal);
        var found = new List<LogFile>();

        if (OpenCodeStorageFiles.ForThisThread.TryFindFiles(folder, found))
        {
            Assert.Equal(expected, found.OrderBy(f => f.Path, StringComparer.Ordinal));
        }
        else
        {
            Assert.Empty(found); // no native listing here: the caller lists with the managed API
        }
    }

    private static (List<string> Paths, List<string?> Contents) List(OpenCodeStorageFiles files, string parent, string name)
    {
        var paths = new List<string>();
        var contents = new List<string?>();
        files.OpenFolder(parent, name);
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                paths.Add(files.PathOf(i));
                contents.Add(files.ReadFile(i) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes.Span) : null);
            }
        }
        finally
        {
            files.CloseFolder();
        }

        return (paths, contents);
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null; // the dangling link
        }
    }

    private static (Type, string) Thrown(Action action)
    {
        var e = Assert.ThrowsAny<Exception>(action);
        return (e.GetType(), e.Message);
    }
}
