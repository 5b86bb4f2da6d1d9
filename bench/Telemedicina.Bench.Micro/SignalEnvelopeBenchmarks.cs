using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Bench.Micro;

/// <summary>
/// What one relayed signal costs in envelopes, step by step: the browser's <c>Signal</c> invocation parsed by the
/// SignalR JSON protocol; the hub's <see cref="RoomMessage"/> through the Orleans serializer (hub → room grain);
/// the room's <see cref="Delivery"/> of a <see cref="SignalEvent"/> (room grain → the target's silo); the event
/// written as a JSON hub frame to the target's WebSocket; and the receiving silo's reorder step. Payload sizes as
/// in the load benchmark's range (1–4 KiB of SDP-like text).
/// </summary>
[MemoryDiagnoser]
public class SignalEnvelopeBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private Serializer _serializer = null!;
    private JsonHubProtocol _json = null!;
    private RoomMessage _message = null!;
    private Delivery _delivery = null!;
    private SignalEvent _event = null!;
    private byte[] _messageBytes = [];
    private byte[] _deliveryBytes = [];
    private byte[] _invocationFrame = [];
    private StreamReorderer<Delivery> _reorderer = null!;
    private long _seq;
    private int _emitted;

    [Params(1024, 4096)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _serializer = new ServiceCollection()
            .AddSerializer(builder => builder.AddAssembly(typeof(RoomMessage).Assembly))
            .BuildServiceProvider()
            .GetRequiredService<Serializer>();

        // As the host configures the hub's JSON protocol (camelCase, enums as camelCase strings).
        var options = new JsonHubProtocolOptions();
        options.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        _json = new JsonHubProtocol(Options.Create(options));

        var payload = Sdp(PayloadBytes);
        var room = Guid.NewGuid();
        var from = Guid.NewGuid();
        var to = Guid.NewGuid();
        _message = new RoomMessage(from, "Q2FsbGVyQ29ubmVjdGlvbklk", Guid.NewGuid(), 42, to, "offer", payload);
        _event = new SignalEvent(room, from, "offer", payload, 3_000_000_042);
        _delivery = new Delivery(["VGFyZ2V0Q29ubmVjdGlvbklk"], _event, Guid.NewGuid(), 42);
        _messageBytes = _serializer.SerializeToArray(_message);
        _deliveryBytes = _serializer.SerializeToArray(_delivery);

        _buffer.Clear();
        _json.WriteMessage(new InvocationMessage("7", "Signal", [room.ToString(), to.ToString(), "offer", payload]), _buffer);
        _invocationFrame = _buffer.WrittenSpan.ToArray();
        _reorderer = new StreamReorderer<Delivery>(TimeProvider.System);
    }

    [Benchmark(Description = "1 parse the browser's Signal invocation (JSON)")]
    public bool ParseInvocation()
    {
        var input = new ReadOnlySequence<byte>(_invocationFrame);
        return _json.TryParseMessage(ref input, SignalBinder.Instance, out _);
    }

    [Benchmark(Description = "2 RoomMessage serialize (hub -> room)")]
    public int SerializeRoomMessage() => _serializer.SerializeToArray(_message).Length;

    [Benchmark(Description = "3 RoomMessage deserialize")]
    public RoomMessage? DeserializeRoomMessage() => _serializer.Deserialize<RoomMessage>(_messageBytes);

    [Benchmark(Description = "4 Delivery serialize (room -> target silo)")]
    public int SerializeDelivery() => _serializer.SerializeToArray(_delivery).Length;

    [Benchmark(Description = "5 Delivery deserialize")]
    public Delivery? DeserializeDelivery() => _serializer.Deserialize<Delivery>(_deliveryBytes);

    [Benchmark(Description = "6 reorder step (in order)")]
    public int Reorder()
    {
        _reorderer.Accept(_delivery.Stream, ++_seq, _delivery, _ => _emitted++);
        return _emitted;
    }

    [Benchmark(Description = "7 write the Signal event frame (JSON)")]
    public int WriteEventFrame()
    {
        _buffer.Clear();
        _json.WriteMessage(new InvocationMessage("Signal", [_event]), _buffer);
        return _buffer.WrittenCount;
    }

    // Text shaped like an SDP offer (lines of attributes), of the given size.
    private static string Sdp(int bytes)
    {
        var builder = new StringBuilder("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
        for (var i = 0; builder.Length < bytes; i++)
        {
            builder.Append("a=candidate:").Append(842163049 + i).Append(" 1 udp 1677729535 192.0.2.").Append(i % 250).Append(' ').Append(50000 + i).Append(" typ srflx\r\n");
        }

        return builder.ToString(0, bytes);
    }

    private sealed class SignalBinder : IInvocationBinder
    {
        public static readonly SignalBinder Instance = new();
        private static readonly Type[] Parameters = [typeof(string), typeof(string), typeof(string), typeof(string)];

        public IReadOnlyList<Type> GetParameterTypes(string methodName) => Parameters;

        public Type GetReturnType(string invocationId) => typeof(object);

        public Type GetStreamItemType(string streamId) => typeof(object);
    }
}
