import InboxIcon from '@mui/icons-material/Inbox';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';

export function EmptyState({
  title,
  children,
  height,
}: {
  title: string;
  children?: ReactNode;
  height?: number;
}) {
  return (
    <Box
      sx={{
        display: 'flex',
        flexDirection: 'column',
        alignItems: 'center',
        justifyContent: 'center',
        textAlign: 'center',
        color: 'text.secondary',
        py: 4,
        px: 2,
        minHeight: height,
        gap: 1,
      }}
      data-testid="empty-state"
    >
      <InboxIcon fontSize="large" aria-hidden />
      <Typography variant="subtitle1">{title}</Typography>
      {children && <Typography variant="body2">{children}</Typography>}
    </Box>
  );
}
