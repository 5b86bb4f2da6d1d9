using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Contracts;
using Telemedicina.Scheduling.Domain;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.Scheduling.Endpoints.Doctors;

internal sealed record DoctorView(Guid DoctorId, string FullName, string Specialty, string TimeZone);

internal sealed record WeeklyIntervalDto(JsonElement DayOfWeek, string? Start, string? End);

internal sealed record AvailabilityRequest(
    string? TimeZone,
    int? SlotMinutes,
    int? BufferBeforeMinutes,
    int? BufferAfterMinutes,
    int? MinimumNoticeMinutes,
    int? BookingWindowDays,
    WeeklyIntervalDto[]? Weekly);

internal sealed record WeeklyIntervalView(string DayOfWeek, string Start, string End);

/// <summary>
/// A doctor's availability as saved, with <paramref name="EffectiveMinimumNoticeMinutes"/>: the notice that applies,
/// the doctor's or the platform's floor, whichever is longer (the doctor's own may be lower, and said nothing).
/// </summary>
internal sealed record AvailabilityView(
    string TimeZone,
    int SlotMinutes,
    int BufferBeforeMinutes,
    int BufferAfterMinutes,
    int? MinimumNoticeMinutes,
    int BookingWindowDays,
    WeeklyIntervalView[] Weekly,
    int EffectiveMinimumNoticeMinutes);

internal sealed record SlotView(DateTimeOffset StartsAt, DateTimeOffset EndsAt);

internal static class DoctorsEndpoints
{
    private const int MaxIntervals = 70;

    public static void MapDoctors(this RouteGroupBuilder group)
    {
        group.MapGet("/doctors", SearchAsync).RequireAuthorization(Policies.Authenticated);
        group.MapGet("/doctors/me/availability", GetAvailabilityAsync).RequireAuthorization(Policies.Doctor)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/doctors/me/availability", PutAvailabilityAsync).RequireAuthorization(Policies.Doctor);
        group.MapGet("/doctors/{doctorId:guid}/slots", SlotsAsync).RequireAuthorization(Policies.Authenticated);
    }

    private static async Task<Results<Ok<DoctorView[]>, ValidationProblem>> SearchAsync(string? specialty, string? q, IUserDirectory directory, CancellationToken ct)
    {
        var validation = new Validation().MaxLength(specialty, "specialty", 100, "Especialidade").MaxLength(q, "q", 100, "Busca");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var doctors = await directory.SearchBookableDoctorsAsync(specialty, q, ct);
        return TypedResults.Ok(doctors.Select(d => new DoctorView(d.DoctorId, d.FullName, d.Specialty, d.TimeZone)).ToArray());
    }

    private static async Task<Results<Ok<AvailabilityView>, ProblemHttpResult>> GetAvailabilityAsync(
        ClaimsPrincipal user, AvailabilityStore store, IOptions<SchedulingSettings> settings, CancellationToken ct)
    {
        var availability = await store.FindAsync(user.GetId(), ct);
        return availability is null ? Problems.NotFound("Disponibilidade ainda não cadastrada.") : TypedResults.Ok(ToView(availability, settings.Value));
    }

    private static async Task<Results<Ok<AvailabilityView>, ValidationProblem>> PutAvailabilityAsync(
        AvailabilityRequest request, ClaimsPrincipal user, AvailabilityStore store, IOptions<SchedulingSettings> settings, IAuditTrail audit, CancellationToken ct)
    {
        var validation = new Validation()
            .Require(request.TimeZone is not null && IsTimeZone(request.TimeZone), "timeZone", "Fuso horário IANA desconhecido.")
            .Require(request.SlotMinutes is >= 5 and <= 240, "slotMinutes", "Duração da consulta deve ser entre 5 e 240 minutos.")
            .Require(request.BufferBeforeMinutes is null or >= 0 and <= 120, "bufferBeforeMinutes", "Intervalo antes deve ser entre 0 e 120 minutos.")
            .Require(request.BufferAfterMinutes is null or >= 0 and <= 120, "bufferAfterMinutes", "Intervalo depois deve ser entre 0 e 120 minutos.")
            .Require(request.MinimumNoticeMinutes is null or >= 0 and <= 10080, "minimumNoticeMinutes", "Antecedência mínima deve ser entre 0 e 10080 minutos.")
            .Require(request.BookingWindowDays is null or >= 1 and <= 365, "bookingWindowDays", "Janela de agendamento deve ser entre 1 e 365 dias.")
            .Require(request.Weekly is not null, "weekly", "Informe os horários semanais.")
            .Require(request.Weekly is null || request.Weekly.Length <= MaxIntervals, "weekly", $"No máximo {MaxIntervals} intervalos.");

        var intervals = new List<WeeklyInterval>();
        if (request.Weekly is { Length: <= MaxIntervals } weekly)
        {
            for (var i = 0; i < weekly.Length; i++)
            {
                var item = weekly[i];
                var day = item is null ? null : AvailabilityRules.ParseDay(item.DayOfWeek);
                var start = AvailabilityRules.ParseTime(item?.Start, allowEndOfDay: false);
                var end = AvailabilityRules.ParseTime(item?.End, allowEndOfDay: true);
                validation.Require(day is not null, $"weekly[{i}].dayOfWeek", "Dia da semana inválido (monday..sunday ou 0..6).")
                    .Require(start is not null, $"weekly[{i}].start", "Início inválido (HH:mm).")
                    .Require(end is not null, $"weekly[{i}].end", "Fim inválido (HH:mm, até 24:00).");
                if (day is not null && start is not null && end is not null)
                {
                    if (end <= start)
                    {
                        validation.Add($"weekly[{i}].end", "O fim deve ser depois do início.");
                    }
                    else if (request.SlotMinutes is int slot and > 0 && end - start < slot)
                    {
                        // Saved, it would offer no slot at all, and nothing would say why.
                        validation.Add($"weekly[{i}].end", $"O intervalo de {AvailabilityRules.FormatTime(start.Value)} a {AvailabilityRules.FormatTime(end.Value)} é menor que uma consulta de {slot} minutos.");
                    }
                    else
                    {
                        intervals.Add(new WeeklyInterval(day.Value, start.Value, end.Value));
                    }
                }
            }

            foreach (var (first, second) in AvailabilityRules.Overlaps(intervals))
            {
                validation.Add("weekly", $"Os intervalos de {System.Globalization.CultureInfo.GetCultureInfo("pt-BR").DateTimeFormat.GetDayName(intervals[first].DayOfWeek)} " +
                    $"{AvailabilityRules.FormatTime(intervals[first].StartMinute)} e {AvailabilityRules.FormatTime(intervals[second].StartMinute)} se sobrepõem.");
            }
        }

        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var doctorId = user.GetId();
        var availability = new Availability(doctorId, request.TimeZone!, request.SlotMinutes!.Value, request.BufferBeforeMinutes ?? 0,
            request.BufferAfterMinutes ?? 0, request.MinimumNoticeMinutes, request.BookingWindowDays ?? 30, intervals);
        await store.SaveAsync(availability, ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Update, "Availability", doctorId.ToString(), doctorId, Identity.Contracts.Roles.Doctor, doctorId), ct);
        return TypedResults.Ok(ToView(availability, settings.Value));
    }

    private static async Task<Results<Ok<SlotView[]>, ValidationProblem, ProblemHttpResult>> SlotsAsync(
        Guid doctorId, string? from, string? to, Booking booking, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var start = now;
        var end = now.AddDays(7);
        var validation = new Validation()
            .Require(from is null || IsoInstant.TryParse(from, out start), "from", "Data inicial inválida (ISO 8601).")
            .Require(to is null || IsoInstant.TryParse(to, out end), "to", "Data final inválida (ISO 8601).");
        if (validation.IsValid)
        {
            validation.Require(end > start, "to", "A data final deve ser depois da inicial.")
                .Require(end - start <= TimeSpan.FromDays(31), "to", "Consulte no máximo 31 dias por vez.");
        }

        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var slots = await booking.FreeSlotsAsync(doctorId, start, end, ct);
        return slots is null
            ? Problems.NotFound("Médico não encontrado.")
            : TypedResults.Ok(slots.Select(s => new SlotView(s.StartsAt, s.EndsAt)).ToArray());
    }

    private static bool IsTimeZone(string value) =>
        value.Length <= 64 && TimeZoneInfo.TryFindSystemTimeZoneById(value, out var zone) && zone.HasIanaId;

    private static AvailabilityView ToView(Availability a, SchedulingSettings settings) =>
        new(a.TimeZone, a.SlotMinutes, a.BufferBeforeMinutes, a.BufferAfterMinutes, a.MinimumNoticeMinutes, a.BookingWindowDays,
            a.Weekly.OrderBy(w => ((int)w.DayOfWeek + 6) % 7).ThenBy(w => w.StartMinute)
                .Select(w => new WeeklyIntervalView(AvailabilityRules.FormatDay(w.DayOfWeek), AvailabilityRules.FormatTime(w.StartMinute), AvailabilityRules.FormatTime(w.EndMinute)))
                .ToArray(),
            (int)Math.Ceiling(AvailabilityRules.EffectiveNotice(a.MinimumNoticeMinutes, settings.MinimumNotice).TotalMinutes));
}
