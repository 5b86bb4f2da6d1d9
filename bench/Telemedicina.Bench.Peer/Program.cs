// The benchmark's baseline: plain ASP.NET Core SignalR with the same hub method shape as the product's
// consultation hub (Signal(roomId, toUserId, kind, payload) -> "Signal" event to the target user).
// With Peer__Redis set, nodes share a Redis backplane and route by user (Clients.User) across nodes;
// without it, one node relays between its local connections (the "limit" system).
// Not part of the product: no auth (the user id comes from the query string), no persistence.
using Microsoft.AspNetCore.SignalR;
using Telemedicina.Bench.Peer;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var signalR = builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = 128 * 1024);
var redis = builder.Configuration["Peer:Redis"];
if (!string.IsNullOrEmpty(redis))
{
    signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("bench"));
}

builder.Services.AddSingleton<IUserIdProvider, QueryUserIdProvider>();
var app = builder.Build();
app.MapGet("/health/ready", () => Results.Ok("ready"));
app.MapHub<PeerHub>("/hubs/consultation");
await app.RunAsync();
