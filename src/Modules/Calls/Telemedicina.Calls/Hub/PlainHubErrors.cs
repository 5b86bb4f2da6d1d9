using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Telemedicina.Calls.Hub;

/// <summary>
/// The hub's error answers in the words of the product. SignalR frames every refusal in English
/// ("An unexpected error occurred invoking 'Chat' on the server. HubException: ..."), which the web UI showed as it
/// came, and answers arguments of the wrong type or count, or an unknown method, with a bare
/// "Failed to invoke 'X' due to an error on the server." before the hub ever runs: a client learnt neither what was
/// wrong nor in which language. The error of a completion is rewritten on its way out; the hub's own messages stay
/// as the hub wrote them.
/// </summary>
internal static partial class PlainHubErrors
{
    /// <summary>An error completion's text as a client should read it; any other text comes back unchanged.</summary>
    public static string Rewrite(string error)
    {
        if (Refused().Match(error) is { Success: true } refused)
        {
            return refused.Groups["message"].Value;
        }

        if (NotInvoked().Match(error) is { Success: true } failed)
        {
            var method = failed.Groups["method"].Value;
            return failed.Groups["rest"].Value.Contains("Method does not exist", StringComparison.Ordinal)
                ? $"Método desconhecido: {method}."
                : failed.Groups["rest"].Value.Contains("unauthorized", StringComparison.OrdinalIgnoreCase)
                    ? $"Você não tem permissão para usar {method}."
                    : $"Argumentos inválidos para {method}: confira a quantidade e o tipo de cada um.";
        }

        return Unexpected().IsMatch(error) ? "Erro inesperado no servidor. Tente de novo." : error;
    }

    /// <summary>Serves the hub's JSON protocol with <see cref="Rewrite"/> applied to error completions.</summary>
    public static ISignalRServerBuilder AddPlainHubErrors(this ISignalRServerBuilder builder)
    {
        builder.Services.RemoveAll<IHubProtocol>();
        builder.Services.AddSingleton<IHubProtocol>(services => new Protocol(ActivatorUtilities.CreateInstance<JsonHubProtocol>(services)));
        return builder;
    }

    [GeneratedRegex(@"^An unexpected error occurred invoking '[^']*' on the server\. HubException: (?<message>.*)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Refused();

    [GeneratedRegex(@"^Failed to invoke '(?<method>[^']*)'(?<rest>.*)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex NotInvoked();

    [GeneratedRegex(@"^An unexpected error occurred invoking '[^']*' on the server\.", RegexOptions.CultureInvariant)]
    private static partial Regex Unexpected();

    private sealed class Protocol(IHubProtocol inner) : IHubProtocol
    {
        public string Name => inner.Name;

        public int Version => inner.Version;

        public TransferFormat TransferFormat => inner.TransferFormat;

        public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

        public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message) =>
            inner.TryParseMessage(ref input, binder, out message);

        public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(Plain(message), output);

        public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(Plain(message));

        private static HubMessage Plain(HubMessage message) =>
            message is CompletionMessage { Error: { } error } completion && Rewrite(error) is var plain && !ReferenceEquals(plain, error)
                ? new CompletionMessage(completion.InvocationId!, plain, null, false) { Headers = completion.Headers }
                : message;
    }
}
