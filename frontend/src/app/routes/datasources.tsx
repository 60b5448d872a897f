import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { DatasourcesOverview } from '@/features/datasources/components/datasources-overview';

export function DatasourcesRoute() {
  return (
    <Stack spacing={2}>
      <Typography variant="h5" component="h1">
        Datasources
      </Typography>
      <DatasourcesOverview />
    </Stack>
  );
}
