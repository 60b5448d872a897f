export const paths = {
  home: { path: '/', href: () => '/' },
  task: { path: '/tasks/:taskId', href: (taskId: string) => `/tasks/${encodeURIComponent(taskId)}` },
  activity: { path: '/activity', href: () => '/activity' },
  datasources: { path: '/datasources', href: () => '/datasources' },
} as const;
