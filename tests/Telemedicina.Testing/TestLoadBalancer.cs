using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Telemedicina.Testing;

/// <summary>
/// nginx in front of test silos, as ./run.sh and the ALB do it: round robin, WebSockets, no
/// affinity. Its own prefix, config and logs in a temporary folder.
/// </summary>
public sealed class TestLoadBalancer : IAsyncDisposable
{
    private static readonly string[] NginxPaths = ["/usr/sbin/nginx", "/usr/bin/nginx"];
    private readonly Process _process;
    private readonly string _directory;

    private TestLoadBalancer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}");

    /// <summary>
    /// Round robin over <paramref name="silos"/>; with <paramref name="primary"/>, every request goes
    /// to that silo while it lives and the others are nginx backups (to pin a client, then fail it over).
    /// </summary>
    public static async Task<TestLoadBalancer> StartAsync(IEnumerable<SiloProcess> silos, SiloProcess? primary = null)
    {
        var nginx = NginxPaths.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("nginx is missing: ./test.sh installs Debian's nginx package.");
        var directory = Path.Combine(Path.GetTempPath(), "telemedicina-lb-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path.Combine(directory, "tmp"));
        var port = PostgresServer.FreeTcpPort();
        var upstreams = new StringBuilder();
        foreach (var silo in silos)
        {
            var backup = primary is not null && silo != primary ? " backup" : "";
            upstreams.Append(CultureInfo.InvariantCulture, $"    server 127.0.0.1:{silo.HttpPort} max_fails=1 fail_timeout=2s{backup};\n");
        }

        var user = Environment.UserName == "root" ? "user root root;" : "";
        var config = $$"""
            {{user}}
            worker_processes 1;
            daemon off;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path {{directory}}/tmp/body;
              proxy_temp_path {{directory}}/tmp/proxy;
              fastcgi_temp_path {{directory}}/tmp/fastcgi;
              uwsgi_temp_path {{directory}}/tmp/uwsgi;
              scgi_temp_path {{directory}}/tmp/scgi;
              map $http_upgrade $connection_upgrade { default upgrade; '' close; }
              upstream silos {
            {{upstreams}}  }
              server {
                listen 127.0.0.1:{{port}};
                location / {
                  proxy_pass http://silos;
                  proxy_http_version 1.1;
                  proxy_set_header Upgrade $http_upgrade;
                  proxy_set_header Connection $connection_upgrade;
                  proxy_set_header Host $host:$server_port;
                  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                  proxy_set_header X-Forwarded-Proto $scheme;
                  proxy_read_timeout 3600s;
                  proxy_next_upstream error timeout http_502 http_503;
                  proxy_connect_timeout 2s;
                }
              }
            }
            """;
        var path = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(path, config);
        var psi = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-p", directory, "-c", path })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("nginx did not start.");
        var lb = new TestLoadBalancer(process, directory, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 50; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException("nginx exited: " + await process.StandardError.ReadToEndAsync());
            }

            try
            {
                using var response = await http.GetAsync(new Uri(lb.BaseUrl, "/health/live"));
                return lb;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("nginx did not start listening.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
