// The task whose system call the sentry is serving. The kernel serves one
// call at a time, so this is well defined; /proc/self needs it.
import type { Task } from './task.js';

let current: Task | null = null;

export function setCurrentTask(t: Task | null): void { current = t; }

export function currentTask(): Task | null { return current; }
