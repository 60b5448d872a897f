import ScheduleIcon from '@mui/icons-material/Schedule';
import Button from '@mui/material/Button';
import Tooltip from '@mui/material/Tooltip';
import { zoneLabel } from '@/lib/format';
import { setTimeZoneMode, useTimeZoneMode } from '@/lib/time-zone';

/** Shows the zone every time on the page is in (UTC by default) and switches to local time and back. */
export function TimeZoneToggle() {
  const zone = useTimeZoneMode();
  const next = zone === 'utc' ? 'local' : 'utc';
  const hint = zone === 'utc' ? `Times are in UTC. Show them in local time (${zoneLabel('local')})` : 'Times are in local time. Show them in UTC';
  return (
    <Tooltip title={hint}>
      <Button
        color="inherit"
        size="small"
        startIcon={<ScheduleIcon fontSize="small" />}
        onClick={() => setTimeZoneMode(next)}
        aria-label={hint}
        data-testid="time-zone-toggle"
        sx={{ '&.Mui-focusVisible': { outline: '2px solid white' } }}
      >
        {zone === 'utc' ? 'UTC' : zoneLabel('local')}
      </Button>
    </Tooltip>
  );
}
