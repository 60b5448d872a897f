import Typography from '@mui/material/Typography';
import Stack from '@mui/material/Stack';
import { ActivityCharts } from '@/features/tasks/components/activity-charts';

export function ActivityRoute() {
  return (
    <Stack spacing={2}>
      <Typography variant="h5" component="h1">
        Activity
      </Typography>
      <ActivityCharts />
    </Stack>
  );
}
