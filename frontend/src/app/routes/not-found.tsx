import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { Link as RouterLink, isRouteErrorResponse, useRouteError } from 'react-router';
import { paths } from '@/config/paths';

export function NotFoundRoute() {
  return (
    <Stack spacing={2} sx={{ alignItems: 'flex-start' }}>
      <Typography variant="h5" component="h1">
        Page not found
      </Typography>
      <Typography>There is nothing at this address.</Typography>
      <Button component={RouterLink} to={paths.home.href()} variant="contained">
        Go to uploads
      </Button>
    </Stack>
  );
}

export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : 'Unknown error';
  return (
    <Stack spacing={2} sx={{ p: 3, alignItems: 'flex-start' }} role="alert">
      <Typography variant="h5" component="h1">
        Something went wrong
      </Typography>
      <Typography>{message}</Typography>
      <Button variant="contained" onClick={() => window.location.assign('/')}>
        Reload
      </Button>
    </Stack>
  );
}
