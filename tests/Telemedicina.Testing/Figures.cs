namespace Telemedicina.Testing;

/// <summary>
/// Measured figures from tests (recovery times, counts): appended to the file named by
/// <c>TELEMEDICINA_FIGURES_FILE</c> (./test.sh prints it in its summary) and to the test output.
/// </summary>
public static class Figures
{
    private static readonly Lock Gate = new();

    public static void Report(string figure)
    {
        var line = $"{DateTimeOffset.UtcNow:HH:mm:ss} {figure}";
        Xunit.TestContext.Current.SendDiagnosticMessage(line);
        Console.WriteLine(line);
        var path = Environment.GetEnvironmentVariable("TELEMEDICINA_FIGURES_FILE");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        lock (Gate)
        {
            File.AppendAllText(path, line + Environment.NewLine);
        }
    }
}
