"""Question bank, quizzes, attempts and grading (depends on courses)."""
