-- When the account last passed its second factor: a login challenge issued before that was used (or made needless) and
-- is refused, so one password check mints one session. Set by one conditional UPDATE, atomic across silos.
ALTER TABLE identity.users ADD COLUMN two_factor_passed_at timestamptz;
