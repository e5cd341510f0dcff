"""factory_boy factories of the customers room.

Contact points given to `CustomerFactory(emails=[...], phones=[...])` must already be normalized
(lowercase e-mails, E.164 phones): factories write rows, they do not run the services' rules.
"""

from __future__ import annotations

import factory

from app.customers.models import ContactPoint, Customer, CustomerTag, CustomFieldDefinition, Organization
from tests.factories import BaseFactory, register


@register
class OrganizationFactory(BaseFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")


@register
class CustomerFactory(BaseFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    custom_fields = factory.LazyFunction(dict)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        # The contact points and tags added below must be committed like the row itself: requests run
        # in sessions of their own.
        if create:
            cls._meta.sqlalchemy_session_factory().commit()

    @factory.post_generation
    def emails(customer, create, extracted, **_):
        for index, value in enumerate(extracted or ()):
            customer.contact_points.append(ContactPoint(kind="email", value=value, is_primary=index == 0))

    @factory.post_generation
    def phones(customer, create, extracted, **_):
        for index, value in enumerate(extracted or ()):
            customer.contact_points.append(ContactPoint(kind="phone", value=value, is_primary=index == 0))

    @factory.post_generation
    def tags(customer, create, extracted, **_):
        customer.tags.extend(CustomerTag(tag=tag) for tag in extracted or ())


@register
class FieldDefinitionFactory(BaseFactory):
    class Meta:
        model = CustomFieldDefinition

    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.LazyAttribute(lambda d: d.key.replace("_", " ").capitalize())
    type = "text"
    choices = factory.LazyFunction(list)
    required = False
