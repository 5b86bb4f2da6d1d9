namespace Telemedicina.Scheduling.Contracts;

/// <summary>Appointment lifecycle: scheduled → inProgress → completed; scheduled → cancelled | noShow.</summary>
public enum AppointmentStatus
{
    Scheduled = 0,
    InProgress = 1,
    Completed = 2,
    Cancelled = 3,
    NoShow = 4,
}

/// <summary>An appointment as other modules see it.</summary>
public sealed record AppointmentInfo(
    Guid AppointmentId,
    Guid DoctorId,
    Guid PatientId,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    AppointmentStatus Status);

/// <summary>When the consultation room of an appointment is open.</summary>
public sealed record JoinWindow(DateTimeOffset OpensAt, DateTimeOffset ClosesAt)
{
    public bool Contains(DateTimeOffset instant) => instant >= OpensAt && instant <= ClosesAt;
}

/// <summary>
/// The Scheduling module's facade for calls: read an appointment, know its join window, and move
/// it through the lifecycle when the call starts and ends. Transitions are enforced here; an
/// illegal one is refused with <see cref="InvalidOperationException"/>.
/// </summary>
public interface IAppointmentBook
{
    Task<AppointmentInfo?> FindAsync(Guid appointmentId, CancellationToken cancellationToken);

    JoinWindow GetJoinWindow(AppointmentInfo appointment);

    /// <summary>Both parties joined the call: scheduled → inProgress (idempotent).</summary>
    Task MarkInProgressAsync(Guid appointmentId, Guid? byUserId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The call ended: inProgress → completed with the call duration (idempotent).</summary>
    Task CompleteAsync(Guid appointmentId, Guid? byUserId, DateTimeOffset at, int durationSeconds, string? reason, CancellationToken cancellationToken);

    /// <summary>The other parties of the user's live appointments of the day (12 h back, 24 h ahead): who sees the user's presence.</summary>
    Task<IReadOnlyList<Guid>> CounterpartsAroundNowAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>
    /// The doctor's scheduled or in-progress appointments whose join window, stretched by
    /// <paramref name="grace"/> after it closes, contains now: where a call may be ringing.
    /// </summary>
    Task<IReadOnlyList<Guid>> OpenAppointmentsOfDoctorAsync(Guid doctorId, TimeSpan grace, CancellationToken cancellationToken);

    /// <summary>
    /// The same for a patient: the appointments where a call of theirs may be ringing or under way (what ends when they
    /// take back the telemedicine consent).
    /// </summary>
    Task<IReadOnlyList<Guid>> OpenAppointmentsOfPatientAsync(Guid patientId, TimeSpan grace, CancellationToken cancellationToken);

    /// <summary>Every appointment the user is a party of (as patient or doctor), oldest first: for data-subject exports.</summary>
    Task<IReadOnlyList<Guid>> AppointmentIdsOfAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Appends a call event (join, leave, reconnect, end) to the appointment history.</summary>
    Task AppendHistoryAsync(Guid appointmentId, Guid? byUserId, string what, string? why, DateTimeOffset at, CancellationToken cancellationToken);
}
