-- A fresh random token per claim fences every write a worker makes: saves and
-- renewals match `lease_token`, so a worker whose lease was taken over, or
-- whose task was cancelled or queued again (both clear the token), updates
-- nothing and stops. `lease_owner` stays as the holder's name, for people.
ALTER TABLE tasks ADD COLUMN lease_token TEXT;
