namespace Telemedicina.Testing;

/// <summary>Ready-made actors for end-to-end tests: a verified doctor with availability and a consenting patient.</summary>
public static class Scenario
{
    /// <summary>
    /// How far ahead the first bookable slot must start: a slot listed a moment before its start is in the past by the
    /// time the booking arrives, and the API rightly refuses it (422; a CI run listed the 07:45:00 slot at 07:44:59).
    /// </summary>
    public static readonly TimeSpan BookingMargin = TimeSpan.FromSeconds(30);

    /// <summary>A doctor registered on <paramref name="api"/>, verified by the demo admin, available every day.</summary>
    public static async Task<TestUser> VerifiedDoctorAsync(TelemedicinaApi api, TestUser admin)
    {
        var doctor = await api.RegisterDoctorAsync();
        await api.VerifyDoctorAsync(admin, doctor.Id);
        await api.SetAllDayAvailabilityAsync(doctor);
        return doctor;
    }

    public static async Task<TestUser> ConsentingPatientAsync(TelemedicinaApi api)
    {
        var patient = await api.RegisterPatientAsync();
        await api.GrantConsentAsync(patient);
        return patient;
    }

    /// <summary>
    /// A verified doctor registered on <paramref name="doctorApi"/> and a consenting patient on
    /// <paramref name="patientApi"/> (two silos, say) with the doctor's next free slot booked.
    /// </summary>
    public static async Task<BookedPair> BookedPairAsync(TelemedicinaApi doctorApi, TelemedicinaApi patientApi, TestUser admin)
    {
        var doctor = await VerifiedDoctorAsync(doctorApi, admin);
        var patient = await ConsentingPatientAsync(patientApi);
        var booked = await BookNextSlotAsync(patientApi, patient, doctor);
        return new BookedPair(doctor, patient, booked);
    }

    /// <summary>
    /// <see cref="BookedPairAsync"/>, then the patient requests the call on <paramref name="patientApi"/> and the doctor
    /// accepts it on <paramref name="doctorApi"/>: a call both can join.
    /// </summary>
    public static async Task<AcceptedPair> AcceptedCallAsync(TelemedicinaApi doctorApi, TelemedicinaApi patientApi, TestUser admin)
    {
        var (doctor, patient, booked) = await BookedPairAsync(doctorApi, patientApi, admin);
        var call = await patientApi.RequestCallAsync(patient, booked.AppointmentId);
        await doctorApi.CallActionAsync(doctor, call.RoomId, "accept");
        return new AcceptedPair(doctor, patient, booked, call.RoomId);
    }

    /// <summary>
    /// Books the first free slot of the doctor that starts at least <see cref="BookingMargin"/> from now; with the test
    /// join window it can be joined at once.
    /// </summary>
    public static async Task<Booked> BookNextSlotAsync(TelemedicinaApi api, TestUser patient, TestUser doctor)
    {
        var now = DateTimeOffset.UtcNow;
        var slots = await api.SlotsAsync(patient, doctor.Id, now + BookingMargin, now.AddDays(1));
        if (slots.Length == 0)
        {
            throw new InvalidOperationException("The doctor has no free slot in the next day.");
        }

        return await api.BookAsync(patient, doctor.Id, slots[0].StartsAt);
    }
}

/// <summary>A doctor, a patient and their booked appointment.</summary>
public sealed record BookedPair(TestUser Doctor, TestUser Patient, Booked Booked);

/// <summary>A doctor, a patient, their booked appointment and its accepted call.</summary>
public sealed record AcceptedPair(TestUser Doctor, TestUser Patient, Booked Booked, Guid RoomId);
