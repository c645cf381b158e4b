"""Activities, submissions and leaderboards arrive with the activities issue."""
