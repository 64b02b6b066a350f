from django.urls import path

from govdesk.certificates import views

app_name = "certificates"
urlpatterns = [
    path("<str:token>", views.verify, name="verify"),
]
