using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tally.Ingest;

namespace Tally.Sources.OpenCode;

/// <summary>
/// Reads the small files of the <c>storage/</c> layout whole (a message file, and the <c>*.json</c>
/// files of a part folder in name order) and describes a session's message files for discovery. One
/// instance per thread (<see cref="ForThisThread"/>), so its buffers are reused file after file.
/// </summary>
/// <remarks>
/// <para>A store holds a few files per call, nearly all of a few KiB, so the system calls cost more
/// than the bytes: <see cref="File.OpenHandle"/> adds an <c>fstat</c> per file, a directory
/// enumeration an <c>fstat</c> per folder and a path string per entry, and <see cref="FileInfo"/>
/// an <c>lstat</c> and a <c>geteuid</c> per file, each walking the whole path. On Linux (x64, arm64)
/// these therefore go to libc directly: a file is <c>open</c> + <c>read</c> + <c>close</c>; a folder
/// is opened once and listed with <c>getdents64</c>, and each of its files is opened (<c>openat</c>)
/// or described (<c>statx</c>) relative to it, so the kernel walks one name.</para>
/// <para>The managed API stays the reference. Elsewhere, for a path it would read differently (one
/// with <c>..</c> or a NUL, which it normalises or rejects first), for a folder with a non-ASCII name
/// (which it decodes, and sorts as UTF-16), for a symbolic link, and whenever a native call fails,
/// the same operation is done through it, so it gives, or raises, exactly what it always did.</para>
/// </remarks>
internal sealed partial class OpenCodeStorageFiles
{
    private const int BufferSize = 64 * 1024;
    private const int LargestKeptBuffer = 1024 * 1024;
    private const int ListingBufferSize = 16 * 1024;

    [ThreadStatic]
    private static OpenCodeStorageFiles? t_instance;

    private static readonly bool NativeAvailable = Libc.Probe();

    // The file read last; reused by the next read on this thread.
    private byte[] _buffer = new byte[BufferSize];

    // The open folder: where it is (its path made only when needed), and either its descriptor and
    // its names (native) or its paths (managed).
    private string _parent = "";
    private string? _name;
    private string? _folder;
    private byte[] _path = new byte[1024];
    private int _folderDescriptor = -1;
    private readonly byte[] _listing = new byte[ListingBufferSize];
    private byte[] _names = new byte[1024];
    private NameSlice[] _entries = new NameSlice[16];
    private readonly List<string> _paths = [];
    private readonly Comparison<NameSlice> _compareNames;
    private int _count;

    private OpenCodeStorageFiles() =>
        _compareNames = (a, b) => _names.AsSpan(a.Start, a.Length).SequenceCompareTo(_names.AsSpan(b.Start, b.Length));

    /// <summary>This thread's reader.</summary>
    public static OpenCodeStorageFiles ForThisThread => t_instance ??= new OpenCodeStorageFiles();

    /// <summary>How many <c>*.json</c> files the open folder holds.</summary>
    public int Count => _count;

    /// <summary>The whole file, in a buffer that stays valid until this thread's next read.</summary>
    /// <exception cref="IOException">The file could not be opened or read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public ReadOnlyMemory<byte> ReadWhole(string path)
    {
        if (NativeAvailable && IsPlain(path) && ReadNative(OpenNative(path, null)) is { } bytes)
        {
            return bytes;
        }

        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return ReadManaged(handle);
    }

    /// <summary>
    /// Opens the folder <see cref="Path.Combine(string, string)"/> of <paramref name="parent"/> and
    /// <paramref name="name"/> and lists its <c>*.json</c> files in ordinal name order (the order of
    /// part ids, which is their creation order), as <see cref="Directory.EnumerateFiles(string, string)"/>
    /// finds them. A folder that is missing or cannot be listed holds none. Close it with
    /// <see cref="CloseFolder"/>.
    /// </summary>
    public void OpenFolder(string parent, string name)
    {
        CloseFolder();
        _parent = parent;
        _name = name;
        _folder = null;

        // Combined by hand only where Path.Combine would simply put a separator between the two.
        if (NativeAvailable && parent.Length > 0 && parent[^1] != '/' && IsPlain(parent)
            && name.Length > 0 && name is not ("." or "..") && name.AsSpan().IndexOfAny('/', '\0') < 0
            && ListNative(OpenNative(parent, name)))
        {
            return;
        }

        try
        {
            _paths.AddRange(Directory.EnumerateFiles(Folder, "*.json"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _paths.Clear(); // no folder (a message without tools), or it went away: nothing in it
        }

        _paths.Sort(StringComparer.Ordinal);
        _count = _paths.Count;
    }

    /// <summary>
    /// Lists the <c>*.json</c> files of a folder with their length and last write time as
    /// <see cref="LogFile.From(FileInfo)"/> describes them, leaving out any that went away since the
    /// listing; the paths are full. False, with nothing added, when the folder must be listed with the
    /// managed API instead.
    /// </summary>
    public unsafe bool TryFindFiles(string folder, List<LogFile> into)
    {
        CloseFolder();
        if (!NativeAvailable || !IsPlain(folder) || !ListNative(OpenNative(folder, null)))
        {
            return false;
        }

        _parent = folder;
        _name = null;
        _folder = folder;

        try
        {
            var fullFolder = Path.GetFullPath(folder);
            Span<byte> status = stackalloc byte[Libc.StatxSize];
            for (var i = 0; i < _count; i++)
            {
                int described;
                fixed (byte* name = &_names[_entries[i].Start])
                fixed (byte* buffer = status)
                {
                    described = Libc.Statx(_folderDescriptor, name, Libc.NoFollow, Libc.StatxWanted, buffer);
                }

                var mask = BitConverter.ToUInt32(status);
                var type = BitConverter.ToUInt16(status[28..]) & Libc.TypeMask;
                if (described != 0 || (mask & Libc.StatxWanted) != Libc.StatxWanted || type == Libc.SymbolicLink)
                {
                    // What the managed API makes of it: a link's own length and time, or nothing when it is gone.
                    try
                    {
                        into.Add(LogFile.From(new FileInfo(PathOf(i))));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                    }
                }
                else if (type != Libc.Directory)
                {
                    var size = BitConverter.ToInt64(status[40..]);
                    var modified = DateTimeOffset.FromUnixTimeSeconds(BitConverter.ToInt64(status[112..]))
                        .AddTicks(BitConverter.ToUInt32(status[120..]) / 100);
                    into.Add(new LogFile(JoinName(fullFolder, i), size, modified));
                }
            }
        }
        finally
        {
            CloseFolder();
        }

        return true;
    }

    /// <summary>The path of the open folder's file <paramref name="index"/>.</summary>
    public string PathOf(int index) => _folderDescriptor >= 0
        ? JoinName(Folder, index)
        : _paths[index];

    private string Folder => _folder ??= _name is null ? _parent : Path.Combine(_parent, _name);

    /// <summary>The folder joined with the name of file <paramref name="index"/> of the native listing.</summary>
    private string JoinName(string folder, int index)
    {
        Span<char> name = stackalloc char[256]; // a name is at most 255 bytes, and ASCII here
        var length = Encoding.ASCII.GetChars(_names.AsSpan(_entries[index].Start, _entries[index].Length), name);
        return Path.Join(folder, name[..length]);
    }

    /// <summary>
    /// The open folder's file <paramref name="index"/> whole, in the buffer <see cref="ReadWhole"/>
    /// uses; null when it cannot be read (deleted since the listing: a reverted message).
    /// </summary>
    public unsafe ReadOnlyMemory<byte>? ReadFile(int index)
    {
        if (_folderDescriptor >= 0)
        {
            int descriptor;
            fixed (byte* name = &_names[_entries[index].Start])
            {
                descriptor = Libc.OpenAt(_folderDescriptor, name, Libc.ReadOnly);
            }

            if (ReadNative(descriptor) is { } bytes)
            {
                return bytes;
            }
        }

        try
        {
            using var handle = File.OpenHandle(PathOf(index), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return ReadManaged(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Closes the open folder, if any.</summary>
    public void CloseFolder()
    {
        if (_folderDescriptor >= 0)
        {
            _ = Libc.Close(_folderDescriptor);
            _folderDescriptor = -1;
        }

        _paths.Clear();
        _count = 0;
    }

    /// <summary>
    /// A path the kernel resolves as <see cref="Path.GetFullPath(string)"/> would: no NUL, and no
    /// <c>..</c> (which .NET removes by its text, the kernel after following symbolic links).
    /// </summary>
    private static bool IsPlain(string path) =>
        !path.Contains('\0') && !path.StartsWith("..", StringComparison.Ordinal) && !path.Contains("/..", StringComparison.Ordinal);

    /// <summary>
    /// Opens <paramref name="path"/>, or <paramref name="path"/>/<paramref name="name"/>, read-only;
    /// the descriptor, or -1.
    /// </summary>
    private unsafe int OpenNative(string path, string? name)
    {
        var longest = Encoding.UTF8.GetMaxByteCount(path.Length + (name?.Length ?? 0) + 2);
        if (longest > _path.Length)
        {
            _path = new byte[longest];
        }

        var length = Encoding.UTF8.GetBytes(path, _path);
        if (name is not null)
        {
            _path[length++] = (byte)'/';
            length += Encoding.UTF8.GetBytes(name, _path.AsSpan(length));
        }

        _path[length] = 0;
        fixed (byte* text = _path)
        {
            return Libc.Open(text, Libc.ReadOnly);
        }
    }

    /// <summary>
    /// Lists an open folder with <c>getdents64</c> and keeps it open; false (and the descriptor
    /// closed) when it did not open or the managed listing must do it.
    /// </summary>
    private unsafe bool ListNative(int descriptor)
    {
        if (descriptor < 0)
        {
            return false;
        }

        var used = 0;
        while (true)
        {
            nint read;
            fixed (byte* listing = _listing)
            {
                read = Libc.GetDents64(descriptor, listing, (nuint)_listing.Length);
            }

            if (read == 0)
            {
                break;
            }

            if (read < 0 || !AddEntries(_listing.AsSpan(0, (int)read), ref used))
            {
                _ = Libc.Close(descriptor);
                _count = 0;
                return false;
            }
        }

        _entries.AsSpan(0, _count).Sort(_compareNames);
        _folderDescriptor = descriptor;
        return true;
    }

    /// <summary>
    /// Adds the <c>*.json</c> names of a <c>getdents64</c> buffer (records of <c>u64 ino, s64 off,
    /// u16 reclen, u8 type, name NUL</c>) that are not folders; false for a non-ASCII name.
    /// </summary>
    private bool AddEntries(ReadOnlySpan<byte> listing, ref int used)
    {
        const int NameOffset = 19;
        const byte FolderType = 4; // DT_DIR; a link or an unknown type is read, and fails, as a file
        while (!listing.IsEmpty)
        {
            var recordLength = BitConverter.ToUInt16(listing[16..]);
            var record = listing[..recordLength];
            listing = listing[recordLength..];
            var name = record[NameOffset..];
            name = name[..name.IndexOf((byte)0)];
            if (record[18] == FolderType || !name.EndsWith(".json"u8))
            {
                continue;
            }

            if (!Ascii.IsValid(name))
            {
                return false;
            }

            if (used + name.Length + 1 > _names.Length)
            {
                Array.Resize(ref _names, Math.Max(_names.Length * 2, used + name.Length + 1));
            }

            if (_count == _entries.Length)
            {
                Array.Resize(ref _entries, _entries.Length * 2);
            }

            name.CopyTo(_names.AsSpan(used));
            _names[used + name.Length] = 0;
            _entries[_count++] = new NameSlice(used, name.Length);
            used += name.Length + 1;
        }

        return true;
    }

    /// <summary>Reads a native descriptor to its end and closes it; null when it did not open or a read failed.</summary>
    private unsafe ReadOnlyMemory<byte>? ReadNative(int descriptor)
    {
        if (descriptor < 0)
        {
            return null;
        }

        try
        {
            var length = 0;
            while (true)
            {
                var wanted = _buffer.Length - length;
                nint read;
                fixed (byte* target = &_buffer[length])
                {
                    read = Libc.Read(descriptor, target, (nuint)wanted);
                }

                if (read < 0)
                {
                    Take(0);
                    return null;
                }

                length += (int)read;
                if (read < wanted)
                {
                    return Take(length); // a regular file reads short only at its end
                }

                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }
        finally
        {
            _ = Libc.Close(descriptor);
        }
    }

    private ReadOnlyMemory<byte> ReadManaged(SafeFileHandle handle)
    {
        var length = 0;
        while (true)
        {
            var wanted = _buffer.Length - length;
            var read = RandomAccess.Read(handle, _buffer.AsSpan(length), length);
            length += read;
            if (read < wanted)
            {
                return Take(length);
            }

            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
    }

    /// <summary>The first <paramref name="length"/> bytes read; the buffer is kept for the next file unless one huge file grew it.</summary>
    private ReadOnlyMemory<byte> Take(int length)
    {
        var bytes = _buffer.AsMemory(0, length);
        if (_buffer.Length > LargestKeptBuffer)
        {
            _buffer = new byte[BufferSize];
        }

        return bytes;
    }

    /// <summary>A name in <see cref="_names"/>, followed there by a NUL.</summary>
    private readonly record struct NameSlice(int Start, int Length);

    /// <summary>The few libc calls the native path makes (Linux x64 and arm64, where their flags are the same).</summary>
    private static unsafe partial class Libc
    {
        /// <summary><c>O_RDONLY | O_CLOEXEC</c>.</summary>
        public const int ReadOnly = 0x80000;

        /// <summary><c>AT_SYMLINK_NOFOLLOW</c>: describe a link itself, as <c>lstat</c> does.</summary>
        public const int NoFollow = 0x100;

        /// <summary><c>STATX_TYPE | STATX_MTIME | STATX_SIZE</c>.</summary>
        public const uint StatxWanted = 0x1 | 0x40 | 0x200;

        /// <summary>
        /// The size of <c>struct statx</c>, the same on every architecture: <c>stx_mask</c> at 0,
        /// <c>stx_mode</c> at 28, <c>stx_size</c> at 40, <c>stx_mtime</c> (seconds, nanoseconds) at 112.
        /// </summary>
        public const int StatxSize = 256;

        /// <summary><c>S_IFMT</c>: the file type bits of a mode.</summary>
        public const int TypeMask = 0xF000;

        /// <summary><c>S_IFDIR</c>.</summary>
        public const int Directory = 0x4000;

        /// <summary><c>S_IFLNK</c>.</summary>
        public const int SymbolicLink = 0xA000;

        private const string Library = "libc";

        [LibraryImport(Library, EntryPoint = "open")]
        public static partial int Open(byte* path, int flags);

        [LibraryImport(Library, EntryPoint = "openat")]
        public static partial int OpenAt(int directory, byte* name, int flags);

        [LibraryImport(Library, EntryPoint = "read")]
        public static partial nint Read(int descriptor, byte* buffer, nuint count);

        [LibraryImport(Library, EntryPoint = "close")]
        public static partial int Close(int descriptor);

        [LibraryImport(Library, EntryPoint = "getdents64")]
        public static partial nint GetDents64(int descriptor, byte* buffer, nuint count);

        [LibraryImport(Library, EntryPoint = "statx")]
        public static partial int Statx(int directory, byte* name, int flags, uint mask, byte* status);

        /// <summary>Whether the calls can be made here: binds each of them once, with arguments that make them fail at once.</summary>
        public static bool Probe()
        {
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
            {
                return false;
            }

            try
            {
                _ = Open(null, ReadOnly);
                _ = OpenAt(-1, null, ReadOnly);
                _ = Read(-1, null, 0);
                _ = Close(-1);
                _ = GetDents64(-1, null, 0);
                _ = Statx(-1, null, NoFollow, StatxWanted, null);
                return true;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return false;
            }
        }
    }
}
