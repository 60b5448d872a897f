export const paths = {
  home: { path: '/', href: () => '/' },
  task: { path: '/tasks/:taskId', href: (taskId: string) => `/tasks/${encodeURIComponent(taskId)}` },
  activity: { path: '/activity', href: () => '/activity' },
  datasources: { path: '/datasources', href: () => '/datasources' },
  // No page per datasource yet: its name leads to the task list filtered to it.
  datasourceTasks: { href: (name: string) => `/?datasource=${encodeURIComponent(name)}` },
} as const;
