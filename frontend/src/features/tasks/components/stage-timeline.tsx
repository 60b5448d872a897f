import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useNow } from '@/hooks/use-now';
import type { Stage } from '@/lib/api/types';
import { useTimeZoneMode } from '@/lib/time-zone';
import { formatDateTime, formatDuration } from '@/lib/format';
import { STAGE_LABELS, stageDurationMs } from '../utils/stages';

const STAGE_COLORS = {
  upload: 'primary.main',
  queued: 'grey.500',
  validation: 'info.main',
  confirmation: 'warning.main',
  ingestion: 'success.main',
} as const;

/** Each stage on a shared time axis (a small Gantt chart) with its duration. */
export function StageTimeline({ stages }: { stages: Stage[] }) {
  const zone = useTimeZoneMode();
  const now = useNow();
  if (stages.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        No stage has started yet.
      </Typography>
    );
  }
  const starts = stages.map((s) => Date.parse(s.started_at));
  const ends = stages.map((s, i) => (s.finished_at ? Date.parse(s.finished_at) : (starts[i] ?? now) + (stageDurationMs(s, now) ?? 0)));
  const t0 = Math.min(...starts);
  const span = Math.max(1, Math.max(...ends) - t0);
  return (
    <Stack spacing={1.5} component="ol" sx={{ listStyle: 'none', p: 0, m: 0 }} aria-label="Stage timeline" data-testid="stage-timeline">
      {stages.map((stage, i) => {
        const start = starts[i] ?? t0;
        const end = ends[i] ?? start;
        const left = ((start - t0) / span) * 100;
        const width = Math.max(0.8, ((end - start) / span) * 100);
        const running = !stage.finished_at;
        const duration = stageDurationMs(stage, now);
        return (
          <Box component="li" key={`${stage.name}-${i}`} sx={{ display: 'grid', gridTemplateColumns: { xs: '90px 1fr', sm: '110px 1fr 110px' }, gap: 1, alignItems: 'center' }}>
            <Typography variant="body2" sx={{ fontWeight: 500 }}>
              {STAGE_LABELS[stage.name] ?? stage.name}
            </Typography>
            <Tooltip
              title={`${formatDateTime(stage.started_at, zone, { seconds: true })} → ${running ? 'running' : formatDateTime(stage.finished_at, zone, { seconds: true })}`}
              describeChild
            >
              <Box sx={{ position: 'relative', height: 14, bgcolor: 'action.hover', borderRadius: 1 }} tabIndex={0} aria-label={`${STAGE_LABELS[stage.name] ?? stage.name}: ${formatDuration(duration)}${running ? ', running' : ''}`}>
                <Box
                  sx={{
                    position: 'absolute',
                    top: 0,
                    bottom: 0,
                    left: `${left}%`,
                    width: `${width}%`,
                    bgcolor: STAGE_COLORS[stage.name] ?? 'primary.main',
                    borderRadius: 1,
                    opacity: running ? 0.6 : 1,
                  }}
                />
              </Box>
            </Tooltip>
            <Typography variant="body2" color="text.secondary" sx={{ gridColumn: { xs: '2', sm: 'auto' }, textAlign: { sm: 'right' } }}>
              {formatDuration(duration)}
              {running ? ' (running)' : ''}
            </Typography>
          </Box>
        );
      })}
    </Stack>
  );
}
