import BarChartIcon from '@mui/icons-material/BarChart';
import MenuBookIcon from '@mui/icons-material/MenuBook';
import CloudUploadIcon from '@mui/icons-material/CloudUpload';
import StorageIcon from '@mui/icons-material/Storage';
import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Container from '@mui/material/Container';
import IconButton from '@mui/material/IconButton';
import Link from '@mui/material/Link';
import Toolbar from '@mui/material/Toolbar';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { NavLink, Outlet } from 'react-router';
import { TimeZoneToggle } from '@/components/ui/time-zone-toggle';
import { env } from '@/config/env';
import { paths } from '@/config/paths';
import { AuthStatus } from '@/features/auth/components/auth-status';
import { TokenDialog } from '@/features/auth/components/token-dialog';
import { HealthIndicators } from '@/features/health/components/health-indicators';

const NAV = [
  { to: paths.home.href(), label: 'Ingest', icon: <CloudUploadIcon fontSize="small" />, end: true },
  { to: paths.activity.href(), label: 'Activity', icon: <BarChartIcon fontSize="small" />, end: false },
  { to: paths.datasources.href(), label: 'Datasources', icon: <StorageIcon fontSize="small" />, end: false },
];

export function Layout() {
  return (
    <Box sx={{ minHeight: '100vh', bgcolor: 'background.default' }}>
      <Link
        href="#main"
        sx={{
          position: 'absolute',
          left: -9999,
          zIndex: 2000,
          '&:focus': { left: 8, top: 8, bgcolor: 'background.paper', p: 1 },
        }}
      >
        Skip to content
      </Link>
      <AppBar position="sticky" elevation={1}>
        <Toolbar sx={{ gap: 1, flexWrap: 'wrap', py: { xs: 0.5, sm: 0 } }}>
          <Typography variant="h6" component="div" sx={{ mr: 2, fontWeight: 600 }}>
            Ingest
          </Typography>
          <Box component="nav" aria-label="Main" sx={{ display: 'flex', gap: 0.5, order: { xs: 3, sm: 0 }, width: { xs: '100%', sm: 'auto' } }}>
            {NAV.map((item) => (
              <Button
                key={item.to}
                component={NavLink}
                to={item.to}
                end={item.end}
                color="inherit"
                startIcon={item.icon}
                size="small"
                sx={{ '&.active': { bgcolor: 'rgba(255,255,255,0.18)' }, '&.Mui-focusVisible': { outline: '2px solid white' } }}
              >
                {item.label}
              </Button>
            ))}
          </Box>
          <Box sx={{ flex: 1 }} />
          <HealthIndicators />
          <TimeZoneToggle />
          <AuthStatus />
          {/* A page of its own (served by the server), so a full navigation rather than a route. */}
          <Tooltip title="API reference">
            <IconButton component="a" href={`${env.apiOrigin}/api/docs`} color="inherit" size="small" aria-label="API reference">
              <MenuBookIcon fontSize="small" />
            </IconButton>
          </Tooltip>
        </Toolbar>
      </AppBar>
      <TokenDialog />
      <Container component="main" id="main" tabIndex={-1} maxWidth="lg" sx={{ py: { xs: 2, sm: 3 }, px: { xs: 1, sm: 3 }, outline: 'none' }}>
        <Outlet />
      </Container>
    </Box>
  );
}
