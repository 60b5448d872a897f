import { createBrowserRouter } from 'react-router';
import { RouterProvider } from 'react-router/dom';
import { paths } from '@/config/paths';
import { Layout } from './layout';
import { ActivityRoute } from './routes/activity';
import { DatasourcesRoute } from './routes/datasources';
import { HomeRoute } from './routes/home';
import { NotFoundRoute, RouteError } from './routes/not-found';
import { TaskRoute } from './routes/task';

const router = createBrowserRouter([
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { path: paths.home.path, element: <HomeRoute /> },
      { path: paths.task.path, element: <TaskRoute /> },
      { path: paths.activity.path, element: <ActivityRoute /> },
      { path: paths.datasources.path, element: <DatasourcesRoute /> },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
]);

export function AppRouter() {
  return <RouterProvider router={router} />;
}
