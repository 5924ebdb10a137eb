"""How work reaches the workers: task names, the Celery app's configuration, the queue
service domain code asks for (`Context.queue`), and the sweep that re-queues lost jobs."""
