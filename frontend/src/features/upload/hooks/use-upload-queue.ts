import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef } from 'react';
import type { IngestMode } from '@/lib/api/types';
import { UploadCancelledError, type UploadChoices, uploadFile } from '../api/upload-file';

export type UploadState = 'uploading' | 'accepted' | 'failed' | 'cancelled';

export type UploadItem = {
  id: string;
  file: File;
  datasource: string;
  mode: IngestMode;
  /** The preview's choices (types, time column, sheet), sent with the file. */
  choices?: UploadChoices;
  state: UploadState;
  loaded: number;
  total: number;
  taskId: string | null;
  error: unknown;
};

type Action =
  | { type: 'add'; items: UploadItem[] }
  | { type: 'restart'; id: string }
  | { type: 'progress'; id: string; loaded: number; total: number }
  | { type: 'accepted'; id: string; taskId: string }
  | { type: 'failed'; id: string; error: unknown }
  | { type: 'cancelled'; id: string }
  | { type: 'remove'; id: string }
  | { type: 'clearFinished' };

function reducer(items: UploadItem[], action: Action): UploadItem[] {
  const update = (id: string, patch: Partial<UploadItem>) =>
    items.map((it) => (it.id === id ? { ...it, ...patch } : it));
  switch (action.type) {
    case 'add':
      // A new batch goes on top, in the order the files were chosen.
      return [...action.items, ...items];
    case 'restart':
      return update(action.id, { state: 'uploading', loaded: 0, error: null, taskId: null });
    case 'progress':
      return update(action.id, { loaded: action.loaded, total: action.total });
    case 'accepted':
      return update(action.id, { state: 'accepted', taskId: action.taskId });
    case 'failed':
      return update(action.id, { state: 'failed', error: action.error });
    case 'cancelled':
      return update(action.id, { state: 'cancelled' });
    case 'remove':
      return items.filter((it) => it.id !== action.id);
    case 'clearFinished':
      return items.filter((it) => it.state === 'uploading');
  }
}

let nextId = 0;

/** Uploads files concurrently, tracking byte progress and cancel per file. */
export function useUploadQueue() {
  const [items, dispatch] = useReducer(reducer, []);
  const controllers = useRef(new Map<string, AbortController>());
  const queryClient = useQueryClient();

  useEffect(() => {
    const map = controllers.current;
    return () => {
      for (const c of map.values()) c.abort();
    };
  }, []);

  const run = useCallback(
    (item: UploadItem) => {
      const controller = new AbortController();
      controllers.current.set(item.id, controller);
      uploadFile({
        file: item.file,
        datasource: item.datasource,
        mode: item.mode,
        choices: item.choices,
        signal: controller.signal,
        onProgress: ({ loaded, total }) => dispatch({ type: 'progress', id: item.id, loaded, total }),
      })
        .then((accepted) => {
          dispatch({ type: 'accepted', id: item.id, taskId: accepted.task_id });
          void queryClient.invalidateQueries({ queryKey: ['tasks'] });
        })
        .catch((error: unknown) => {
          if (error instanceof UploadCancelledError) dispatch({ type: 'cancelled', id: item.id });
          else dispatch({ type: 'failed', id: item.id, error });
        })
        .finally(() => controllers.current.delete(item.id));
    },
    [queryClient],
  );

  /** Each file goes to its own datasource. */
  const upload = useCallback(
    (files: { file: File; datasource: string; choices?: UploadChoices }[], mode: IngestMode) => {
      const batch = files.map(({ file, datasource, choices }): UploadItem => {
        nextId += 1;
        return {
          id: `upload-${nextId}`,
          file,
          datasource,
          mode,
          choices,
          state: 'uploading',
          loaded: 0,
          total: file.size,
          taskId: null,
          error: null,
        };
      });
      dispatch({ type: 'add', items: batch });
      batch.forEach(run);
    },
    [run],
  );

  const cancel = useCallback((id: string) => controllers.current.get(id)?.abort(), []);
  const retry = useCallback(
    (item: UploadItem) => {
      dispatch({ type: 'restart', id: item.id });
      run(item);
    },
    [run],
  );
  const remove = useCallback((id: string) => dispatch({ type: 'remove', id }), []);
  const clearFinished = useCallback(() => dispatch({ type: 'clearFinished' }), []);

  return { items, upload, cancel, retry, remove, clearFinished };
}
