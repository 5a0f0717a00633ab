"""The documents the registry's facts come from, and the passages cited for each fact."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class SourceDocument(models.Model):
    """A document the registry's facts come from."""

    key = models.SlugField(_("key"), unique=True)
    filename = models.CharField(_("file name"), max_length=200)
    title = models.CharField(_("title"), max_length=300)

    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        verbose_name = _("source document")
        verbose_name_plural = _("source documents")

    def __str__(self) -> str:
        return self.title


class Citation(models.Model):
    """A passage of a source document that supports (or disputes) one fact."""

    class Role(models.TextChoices):
        SUPPORTS = "supports", _("supports")
        DISPUTES = "disputes", _("disputes")

    document = models.ForeignKey(
        SourceDocument,
        on_delete=models.PROTECT,
        related_name="citations",
        verbose_name=_("document"),
    )
    heading = models.CharField(_("heading"), max_length=300)
    excerpt = models.TextField(_("passage"))
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.SUPPORTS)
    note = models.TextField(_("note"), blank=True)

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("kind of record")
    )
    object_id = models.PositiveBigIntegerField(_("record number"))
    content_object = GenericForeignKey("content_type", "object_id")

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")

    def __str__(self) -> str:
        return f"{self.document.filename}, «{self.heading}»"

    def clean(self):
        # A passage cited for a record that does not exist could never be found or removed.
        model = self.content_type.model_class() if self.content_type_id else None
        if model is None or self.object_id is None:
            return
        if not model._default_manager.filter(pk=self.object_id).exists():
            raise ValidationError(
                {
                    "object_id": _("There is no %(kind)s number %(number)s.")
                    % {"kind": model._meta.verbose_name, "number": self.object_id}
                }
            )

    @property
    def disputes(self) -> bool:
        return self.role == self.Role.DISPUTES
