namespace Telemedicina.Host.Composition;

/// <summary>
/// Starts a hosted service once this silo is active in the cluster, and stops it when the silo leaves. The host
/// starts its services concurrently (Kestrel answers /health while the silo joins), and the Orleans dashboard's
/// hosted service sends its grain a one-way message at start: before the silo has joined, Orleans cannot address it
/// and logs an Error ("Failed to address message"), seen at about half of the silo starts of a CI run. An operator
/// should not find an Error after every deploy.
/// </summary>
internal sealed class StartWhenSiloActive(IHostedService inner) : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(StartWhenSiloActive)}({inner.GetType().Name})", ServiceLifecycleStage.Active, inner.StartAsync, inner.StopAsync);

    public async ValueTask DisposeAsync()
    {
        switch (inner)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>
    /// Moves the hosted service <paramref name="implementationTypeName"/> (registered by a library, possibly internal)
    /// from the host's start to the silo's Active stage. Returns whether it was found.
    /// </summary>
    public static bool Defer(IServiceCollection services, string implementationTypeName)
    {
        var descriptor = services.SingleOrDefault(d => d.ServiceType == typeof(IHostedService) && !d.IsKeyedService && ImplementationOf(d)?.Name == implementationTypeName);
        if (descriptor is null)
        {
            return false;
        }

        services.Remove(descriptor);
        services.AddSingleton(sp => new StartWhenSiloActive((IHostedService)(
            descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!))));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<StartWhenSiloActive>());
        return true;
    }

    // AddHostedService registers a factory (Microsoft.Extensions.Hosting 10), whose return type names the service.
    private static Type? ImplementationOf(ServiceDescriptor descriptor) =>
        descriptor.ImplementationType ?? descriptor.ImplementationInstance?.GetType() ?? descriptor.ImplementationFactory?.Method.ReturnType;
}
