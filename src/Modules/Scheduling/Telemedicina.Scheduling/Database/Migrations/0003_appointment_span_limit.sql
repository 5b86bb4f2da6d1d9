-- An appointment spans at most 24 hours (slots are 5 to 240 minutes long). With that bound a time-window
-- read ("my appointments from .. to ..") can bound starts_at on both sides, so it walks the (doctor_id,
-- starts_at) or (patient_id, starts_at) index from the window on, instead of reading every appointment
-- the person had before the window and filtering it on ends_at (AppointmentStore.ListByDoctorSql).
-- 24 hours, not '1 day': adding a day to a timestamptz depends on the session's time zone.
ALTER TABLE scheduling.appointments
    ADD CONSTRAINT appointments_span_at_most_a_day CHECK (ends_at <= starts_at + interval '24 hours');
