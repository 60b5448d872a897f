import type { RouteObject } from 'react-router';
import { Loading } from '@/components/ui/loading';
import { paths } from '@/config/paths';
import { Layout } from './layout';
import { HomeRoute } from './routes/home';
import { NotFoundRoute, RouteError } from './routes/not-found';

// The home page loads eagerly; pages with charts are split into their own chunks.
export const routes: RouteObject[] = [
  {
    element: <Layout />,
    errorElement: <RouteError />,
    hydrateFallbackElement: <Loading />,
    children: [
      { path: paths.home.path, element: <HomeRoute /> },
      {
        path: paths.task.path,
        lazy: () => import('./routes/task').then((m) => ({ Component: m.TaskRoute })),
      },
      {
        path: paths.activity.path,
        lazy: () => import('./routes/activity').then((m) => ({ Component: m.ActivityRoute })),
      },
      {
        path: paths.datasources.path,
        lazy: () => import('./routes/datasources').then((m) => ({ Component: m.DatasourcesRoute })),
      },
      {
        path: paths.datasource.path,
        lazy: () => import('./routes/datasource').then((m) => ({ Component: m.DatasourceRoute })),
      },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
];
