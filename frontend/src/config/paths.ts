export const paths = {
  home: { path: '/', href: () => '/' },
  task: { path: '/tasks/:taskId', href: (taskId: string) => `/tasks/${encodeURIComponent(taskId)}` },
  activity: { path: '/activity', href: () => '/activity' },
  datasources: { path: '/datasources', href: () => '/datasources' },
  datasource: { path: '/datasources/:name', href: (name: string) => `/datasources/${encodeURIComponent(name)}` },
  // The task list filtered to one datasource.
  datasourceTasks: { href: (name: string) => `/?datasource=${encodeURIComponent(name)}` },
} as const;
