using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.Scheduling.Contracts;
using Telemedicina.Scheduling.Domain;
using Telemedicina.Scheduling.Endpoints.Admin;
using Telemedicina.Scheduling.Endpoints.Appointments;
using Telemedicina.Scheduling.Endpoints.Doctors;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.Scheduling;

/// <summary>The Scheduling module: availability, slots, bookings without double booking, lifecycle.</summary>
public static class SchedulingModule
{
    public static ModuleMigrations Migrations { get; } = new("Scheduling", "scheduling", typeof(SchedulingModule).Assembly);

    public static IHostApplicationBuilder AddSchedulingModule(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<SchedulingSettings>(builder.Configuration.GetSection(SchedulingSettings.Section));
        builder.Services.AddSingleton<AvailabilityStore>();
        builder.Services.AddSingleton<AppointmentStore>();
        builder.Services.AddSingleton(sp => new BookingCalendar(sp.GetService<IGrainFactory>(), sp.GetRequiredService<ILogger<BookingCalendar>>()));
        builder.Services.AddSingleton<RecentSchedules>();
        builder.Services.AddSingleton<Booking>();
        builder.Services.AddSingleton<IAppointmentBook, AppointmentBook>();
        builder.Services.AddSingleton<Notifications>();
        builder.Services.AddSingleton<Endpoints.Appointments.AppointmentViews>();
        builder.Services.AddSingleton<ISchedulingJobs, SchedulingJobs>();
        builder.Services.AddSingleton<Telemedicina.Audit.Contracts.IPersonalDataHolder, SchedulingPersonalData>();
        return builder;
    }

    public static IEndpointRouteBuilder MapSchedulingEndpoints(this IEndpointRouteBuilder app)
    {
        var scheduling = app.MapGroup("/api/v1/scheduling").WithTags("Scheduling");
        scheduling.MapDoctors();
        scheduling.MapAppointments();
        scheduling.MapBlockedDates();
        scheduling.MapSpecialties();
        app.MapGroup("/api/v1/admin").WithTags("Admin").RequireAuthorization(Identity.Contracts.Policies.Admin).MapAdminScheduling();
        return app;
    }

    /// <summary>Gives the demo doctor a weekly availability (every day 07:00–23:00, 30-minute slots) unless she has one.</summary>
    public static async Task SeedDemoAsync(IServiceProvider services, Guid doctorId, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<AvailabilityStore>();
        if (await store.FindAsync(doctorId, cancellationToken) is not null)
        {
            return;
        }

        var weekly = Enum.GetValues<DayOfWeek>().Select(d => new WeeklyInterval(d, 7 * 60, 23 * 60)).ToList();
        await store.SaveAsync(new Availability(doctorId, "America/Sao_Paulo", 30, 0, 0, null, 30, weekly), cancellationToken);
    }
}
