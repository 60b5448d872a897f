import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import CloudOffIcon from '@mui/icons-material/CloudOff';
import ErrorIcon from '@mui/icons-material/Error';
import WarningIcon from '@mui/icons-material/Warning';
import Box from '@mui/material/Box';
import ButtonBase from '@mui/material/ButtonBase';
import CircularProgress from '@mui/material/CircularProgress';
import Popover from '@mui/material/Popover';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useState, type MouseEvent, type ReactNode } from 'react';
import { type HealthView, useHealth } from '../api/get-health';

type HealthCheck = HealthView['checks'][number];

const CHECK_LABELS: Record<string, string> = {
  database: 'Database',
  object_store: 'Object store',
  druid: 'Druid',
  local_sink: 'Local sink',
};

function checkLabel(name: string) {
  return CHECK_LABELS[name] ?? name.replace(/_/g, ' ');
}

function checkSummary(c: HealthCheck): string {
  const latency = c.latency_ms !== null && c.latency_ms !== undefined ? `${c.latency_ms.toFixed(1)} ms` : 'no latency';
  // Without the read scope the server sends only each check's name and ok/failed.
  const backend = c.backend ? ` (${c.backend})` : '';
  if (c.ok) return `${checkLabel(c.name)}${backend} is up, ${latency}`;
  return `${checkLabel(c.name)}${backend} is down${c.required === false ? ' (optional)' : ''}: ${c.error ?? 'no detail given'}`;
}

function Indicator({
  label,
  icon,
  tooltip,
  testId,
  ok,
  children,
}: {
  label: string;
  icon: ReactNode;
  tooltip: string;
  testId: string;
  ok: boolean;
  children: ReactNode;
}) {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const open = (e: MouseEvent<HTMLElement>) => setAnchor(e.currentTarget);
  return (
    <>
      <Tooltip title={tooltip}>
        <ButtonBase
          onClick={open}
          aria-label={tooltip}
          aria-haspopup="dialog"
          data-testid={testId}
          data-ok={ok}
          sx={{
            borderRadius: 4,
            px: 1,
            py: 0.5,
            gap: 0.5,
            color: 'inherit',
            bgcolor: 'rgba(255,255,255,0.12)',
            '&:hover, &.Mui-focusVisible': { bgcolor: 'rgba(255,255,255,0.24)' },
            '&.Mui-focusVisible': { outline: '2px solid white' },
          }}
        >
          {icon}
          <Typography variant="caption" sx={{ display: { xs: 'none', md: 'inline' }, fontWeight: 500 }}>
            {label}
          </Typography>
        </ButtonBase>
      </Tooltip>
      <Popover
        open={anchor !== null}
        anchorEl={anchor}
        onClose={() => setAnchor(null)}
        anchorOrigin={{ vertical: 'bottom', horizontal: 'right' }}
        transformOrigin={{ vertical: 'top', horizontal: 'right' }}
        slotProps={{ paper: { sx: { p: 2, maxWidth: 360 }, role: 'dialog', 'aria-label': `${label} status` } as object }}
      >
        {children}
      </Popover>
    </>
  );
}

function CheckIcon({ check }: { check: HealthCheck }) {
  if (check.ok) return <CheckCircleIcon fontSize="small" sx={{ color: '#a5d6a7' }} aria-hidden />;
  if (!check.required) return <WarningIcon fontSize="small" sx={{ color: '#ffcc80' }} aria-hidden />;
  return <ErrorIcon fontSize="small" sx={{ color: '#ef9a9a' }} aria-hidden />;
}

/** One indicator per /api/health check, for the app bar; click for details. */
export function HealthIndicators() {
  const { data, error, isPending } = useHealth();

  if (isPending) {
    return <CircularProgress size={18} color="inherit" aria-label="Checking connection" />;
  }
  if (!data) {
    const message = error?.message ?? 'The API did not answer.';
    return (
      <Indicator
        label="API unreachable"
        icon={<CloudOffIcon fontSize="small" sx={{ color: '#ef9a9a' }} aria-hidden />}
        tooltip={`API unreachable: ${message}`}
        testId="health-api"
        ok={false}
      >
        <Typography variant="subtitle2">The API is unreachable</Typography>
        <Typography variant="body2" sx={{ mt: 1 }}>
          {message}
        </Typography>
      </Indicator>
    );
  }

  return (
    <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }} aria-label={`Connection status: ${data.status}`} role="group">
      {data.checks.map((c) => (
        <Indicator
          key={c.name}
          label={checkLabel(c.name)}
          icon={<CheckIcon check={c} />}
          tooltip={checkSummary(c)}
          testId={`health-${c.name}`}
          ok={c.ok}
        >
          <Typography variant="subtitle2">
            {checkLabel(c.name)}: {c.ok ? 'up' : 'down'}
          </Typography>
          <Box component="dl" sx={{ m: 0, mt: 1, display: 'grid', gridTemplateColumns: 'auto 1fr', columnGap: 2, rowGap: 0.5 }}>
            <Typography component="dt" variant="body2" color="text.secondary">
              Backend
            </Typography>
            <Typography component="dd" variant="body2" sx={{ m: 0 }}>
              {c.backend}
            </Typography>
            <Typography component="dt" variant="body2" color="text.secondary">
              Latency
            </Typography>
            <Typography component="dd" variant="body2" sx={{ m: 0 }}>
              {c.latency_ms !== null && c.latency_ms !== undefined ? `${c.latency_ms.toFixed(1)} ms` : '—'}
            </Typography>
            <Typography component="dt" variant="body2" color="text.secondary">
              Required
            </Typography>
            <Typography component="dd" variant="body2" sx={{ m: 0 }}>
              {c.required ? 'yes' : 'no'}
            </Typography>
          </Box>
          {c.error && (
            <Typography variant="body2" color="error" sx={{ mt: 1, overflowWrap: 'anywhere' }}>
              {c.error}
            </Typography>
          )}
          <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 1 }}>
            Server {data.version ?? '(version shown to read tokens)'}, overall {data.status}
          </Typography>
        </Indicator>
      ))}
    </Stack>
  );
}
