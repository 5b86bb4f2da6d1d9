using Telemedicina.Host.Composition;

// One executable, three uses: `migrate` (apply schema and exit), `seed-demo` (demo data and exit),
// or no argument: run a silo (ASP.NET Core + Orleans). Every process is an identical cluster member.
var command = HostCommands.Parse(args, out var hostArgs);
var builder = WebApplication.CreateBuilder(hostArgs);
builder.AddTelemedicina();
var app = builder.Build();

if (command is not null)
{
    return await HostCommands.RunAsync(command, app);
}

app.UseTelemedicina();
await app.RunAsync();
return 0;
