import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { DatasourcesTable } from '@/features/datasources/components/datasources-table';

export function DatasourcesRoute() {
  return (
    <Stack spacing={2}>
      <Typography variant="h5" component="h1">
        Datasources
      </Typography>
      <DatasourcesTable />
    </Stack>
  );
}
