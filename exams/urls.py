from django.urls import path

from . import bank_views, setup_views, views

app_name = "exams"

urlpatterns = [
    path("exams/", views.quiz_list_view, name="list"),
    path("exams/bank/", bank_views.bank_view, name="bank"),
    path("exams/bank.xlsx", bank_views.bank_export_view, name="bank_export"),
    path("exams/quizzes/<int:pk>/", views.quiz_detail_view, name="quiz"),
    path("exams/quizzes/<int:pk>/start/", views.attempt_start_view, name="start"),
    path("exams/quizzes/<int:pk>/results/", views.results_view, name="results"),
    path("exams/quizzes/<int:pk>/results.xlsx", views.results_export_view, name="results_export"),
    path("exams/attempts/<int:pk>/", views.attempt_view, name="attempt"),
    path("exams/attempts/<int:pk>/answer/", views.attempt_answer_view, name="answer"),
    path("exams/attempts/<int:pk>/submit/", views.attempt_submit_view, name="submit"),
    path("exams/attempts/<int:pk>/result/", views.attempt_result_view, name="result"),
    path("exams/programmes/<str:code>/", views.programme_quizzes_view, name="programme"),
    path("exams/programmes/<str:code>/new/", setup_views.quiz_create_view, name="quiz_create"),
    path("exams/quizzes/<int:pk>/edit/", setup_views.quiz_edit_view, name="quiz_edit"),
    path("exams/quizzes/<int:pk>/delete/", setup_views.quiz_delete_view, name="quiz_delete"),
    path("exams/quizzes/<int:pk>/withdraw/", setup_views.quiz_withdraw_view, name="quiz_withdraw"),
]
