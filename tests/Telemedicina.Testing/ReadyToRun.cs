using System.Reflection.PortableExecutable;

namespace Telemedicina.Testing;

/// <summary>Whether an assembly ships precompiled native code (ReadyToRun) besides its IL.</summary>
public static class ReadyToRun
{
    /// <summary>True when the file is a managed assembly with a ReadyToRun header; false for IL only.</summary>
    public static bool IsPrecompiled(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var reader = new PEReader(stream);
        // The CLI header's managed native header points at the READYTORUN_HEADER; IL-only assemblies leave it empty.
        return reader.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }
}
