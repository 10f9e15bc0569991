from rest_framework import serializers

from .models import User


class TeacherSerializer(serializers.ModelSerializer):
    """The ID number goes in in full and comes out masked."""

    id_number = serializers.CharField(
        write_only=True, max_length=30, help_text="18位公民身份号码，仅写入；读取时见 id_number_masked。"
    )
    id_number_masked = serializers.CharField(source="masked_id_number", read_only=True)
    mobile = serializers.CharField(required=False, allow_blank=True, max_length=20)

    class Meta:
        model = User
        fields = [
            "id",
            "name",
            "id_number",
            "id_number_masked",
            "mobile",
            "school",
            "district",
            "subject",
            "title",
            "is_active",
        ]
        read_only_fields = ["is_active"]
        extra_kwargs = {"district": {"required": False}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        viewer = self.context.get("request").user if self.context.get("request") else None
        if viewer is not None and viewer.is_bureau and not viewer.is_superuser:
            data["mobile"] = instance.masked_mobile
        return data
