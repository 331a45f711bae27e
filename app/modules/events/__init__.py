"""Marketing events (活动管理): events with public registration, a waiting list and check-in by QR code."""
