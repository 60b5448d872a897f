import CancelIcon from '@mui/icons-material/Block';
import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import ErrorIcon from '@mui/icons-material/Error';
import FactCheckIcon from '@mui/icons-material/FactCheck';
import HelpOutlineIcon from '@mui/icons-material/HelpOutlined';
import HourglassEmptyIcon from '@mui/icons-material/HourglassEmpty';
import SyncIcon from '@mui/icons-material/Sync';
import Chip, { type ChipProps } from '@mui/material/Chip';
import type { ReactElement } from 'react';
import type { TaskStatus } from '@/lib/api/types';
import { statusDescription } from '@/lib/task-status';

const LOOKS: Record<TaskStatus, { color: ChipProps['color']; icon: ReactElement }> = {
  queued: { color: 'default', icon: <HourglassEmptyIcon /> },
  validating: { color: 'info', icon: <FactCheckIcon /> },
  ingesting: { color: 'primary', icon: <SyncIcon /> },
  awaiting_confirmation: { color: 'warning', icon: <HelpOutlineIcon /> },
  succeeded: { color: 'success', icon: <CheckCircleIcon /> },
  failed: { color: 'error', icon: <ErrorIcon /> },
  cancelled: { color: 'warning', icon: <CancelIcon /> },
};

/** The task status word exactly as the API names it, with colour and icon. */
export function StatusChip({ status, size = 'small' }: { status: TaskStatus; size?: ChipProps['size'] }) {
  const look = LOOKS[status] ?? LOOKS.queued;
  return (
    <Chip
      size={size}
      color={look.color}
      icon={look.icon}
      label={status}
      title={statusDescription(status)}
      variant={status === 'queued' ? 'outlined' : 'filled'}
      data-status={status}
      data-testid="status-chip"
    />
  );
}
